using System.Globalization;
using System.Runtime.InteropServices;

namespace IotHub.Telemetry;

/// <summary>
/// One field value of a point. A small tagged union: numbers are stored inline, so a numeric
/// value never allocates; only <see cref="FieldKind.String"/> carries a reference.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct FieldValue : IEquatable<FieldValue>
{
    private readonly long _bits;
    private readonly string? _text;

    private FieldValue(FieldKind kind, long bits, string? text)
    {
        Kind = kind;
        _bits = bits;
        _text = text;
    }

    /// <summary>The type of the value.</summary>
    public FieldKind Kind { get; }

    /// <summary>A float value.</summary>
    public static FieldValue FromFloat(double value) => new(FieldKind.Float, BitConverter.DoubleToInt64Bits(value), null);

    /// <summary>A signed integer value.</summary>
    public static FieldValue FromInteger(long value) => new(FieldKind.Integer, value, null);

    /// <summary>An unsigned integer value.</summary>
    public static FieldValue FromUInteger(ulong value) => new(FieldKind.UInteger, unchecked((long)value), null);

    /// <summary>A boolean value.</summary>
    public static FieldValue FromBoolean(bool value) => new(FieldKind.Boolean, value ? 1 : 0, null);

    /// <summary>A string value.</summary>
    public static FieldValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(FieldKind.String, 0, value);
    }

    /// <summary>The float value; valid when <see cref="Kind"/> is <see cref="FieldKind.Float"/>.</summary>
    public double AsFloat => BitConverter.Int64BitsToDouble(_bits);

    /// <summary>The signed integer value; valid when <see cref="Kind"/> is <see cref="FieldKind.Integer"/>.</summary>
    public long AsInteger => _bits;

    /// <summary>The unsigned integer value; valid when <see cref="Kind"/> is <see cref="FieldKind.UInteger"/>.</summary>
    public ulong AsUInteger => unchecked((ulong)_bits);

    /// <summary>The boolean value; valid when <see cref="Kind"/> is <see cref="FieldKind.Boolean"/>.</summary>
    public bool AsBoolean => _bits != 0;

    /// <summary>The string value; valid when <see cref="Kind"/> is <see cref="FieldKind.String"/>.</summary>
    public string AsString => _text ?? string.Empty;

    /// <summary>
    /// The value as a double for charts and aggregates: floats as they are, integers converted
    /// (exact up to 2^53), booleans as 0 or 1; <c>null</c> for strings.
    /// </summary>
    public double? ToDouble() => Kind switch
    {
        FieldKind.Float => AsFloat,
        FieldKind.Integer => AsInteger,
        FieldKind.UInteger => AsUInteger,
        FieldKind.Boolean => AsBoolean ? 1 : 0,
        _ => null,
    };

    /// <summary>The value as a JSON-friendly object (double, long, ulong, bool or string).</summary>
    public object ToObject() => Kind switch
    {
        FieldKind.Float => AsFloat,
        FieldKind.Integer => AsInteger,
        FieldKind.UInteger => AsUInteger,
        FieldKind.Boolean => AsBoolean,
        _ => AsString,
    };

    /// <inheritdoc />
    public bool Equals(FieldValue other) =>
        Kind == other.Kind && _bits == other._bits && string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FieldValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, _bits, _text);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        FieldKind.Float => AsFloat.ToString("R", CultureInfo.InvariantCulture),
        FieldKind.Integer => AsInteger.ToString(CultureInfo.InvariantCulture) + "i",
        FieldKind.UInteger => AsUInteger.ToString(CultureInfo.InvariantCulture) + "u",
        FieldKind.Boolean => AsBoolean ? "true" : "false",
        _ => "\"" + AsString + "\"",
    };

    /// <summary>Equality.</summary>
    public static bool operator ==(FieldValue left, FieldValue right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(FieldValue left, FieldValue right) => !left.Equals(right);
}
