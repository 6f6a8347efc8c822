using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// Many points of one series as columns: the lean write path (no <see cref="Point"/> per value).
/// Timestamps need not be sorted; values are floats, signed or unsigned integers, booleans or
/// strings (one array, by <see cref="Kind"/>). The arrays are read when the write is committed,
/// so the caller must not change them until the write completes; they may be longer than
/// <see cref="Count"/> (pooled buffers).
/// </summary>
public sealed class SeriesColumns
{
    private string? _key;

    /// <summary>Float values.</summary>
    public SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, long[] timestampsNs, double[] values, int count)
        : this(measurement, tags, field, FieldKind.Float, timestampsNs, count, LengthOf(values))
    {
        Floats = values;
    }

    /// <summary>Signed integer values.</summary>
    public SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, long[] timestampsNs, long[] values, int count)
        : this(measurement, tags, field, FieldKind.Integer, timestampsNs, count, LengthOf(values))
    {
        Integers = values;
    }

    /// <summary>Unsigned integer values.</summary>
    public SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, long[] timestampsNs, ulong[] values, int count)
        : this(measurement, tags, field, FieldKind.UInteger, timestampsNs, count, LengthOf(values))
    {
        UIntegers = values;
    }

    /// <summary>Boolean values.</summary>
    public SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, long[] timestampsNs, bool[] values, int count)
        : this(measurement, tags, field, FieldKind.Boolean, timestampsNs, count, LengthOf(values))
    {
        Booleans = values;
    }

    /// <summary>String values.</summary>
    public SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, long[] timestampsNs, string[] values, int count)
        : this(measurement, tags, field, FieldKind.String, timestampsNs, count, LengthOf(values))
    {
        Strings = values;
    }

    private SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, FieldKind kind, long[] timestampsNs, int count, int valuesLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        ArgumentException.ThrowIfNullOrEmpty(field);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(timestampsNs);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, timestampsNs.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, valuesLength);
        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        Measurement = measurement;
        Tags = sorted;
        Field = field;
        Kind = kind;
        TimestampsNs = timestampsNs;
        Count = count;
    }

    /// <summary>Measurement name.</summary>
    public string Measurement { get; }

    /// <summary>Tags sorted by key.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    /// <summary>Field name.</summary>
    public string Field { get; }

    /// <summary>The value type: which of the value arrays holds the values.</summary>
    public FieldKind Kind { get; }

    /// <summary>Timestamps, ns since the epoch; the first <see cref="Count"/> are used.</summary>
    public long[] TimestampsNs { get; }

    /// <summary>Float values, when <see cref="Kind"/> is <see cref="FieldKind.Float"/>.</summary>
    public double[]? Floats { get; }

    /// <summary>Integer values, when <see cref="Kind"/> is <see cref="FieldKind.Integer"/>.</summary>
    public long[]? Integers { get; }

    /// <summary>Unsigned integer values, when <see cref="Kind"/> is <see cref="FieldKind.UInteger"/>.</summary>
    public ulong[]? UIntegers { get; }

    /// <summary>Boolean values, when <see cref="Kind"/> is <see cref="FieldKind.Boolean"/>.</summary>
    public bool[]? Booleans { get; }

    /// <summary>String values, when <see cref="Kind"/> is <see cref="FieldKind.String"/>.</summary>
    public string[]? Strings { get; }

    /// <summary>Number of points.</summary>
    public int Count { get; }

    // Computed once: a caller that writes the same columns object again skips the key building.
    internal string Key => _key ??= SeriesKey.Create(Measurement, Tags, Field);

    private static int LengthOf<T>(T[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Length;
    }

    internal FieldValue ValueAt(int index) => Kind switch
    {
        FieldKind.Float => FieldValue.FromFloat(Floats![index]),
        FieldKind.Integer => FieldValue.FromInteger(Integers![index]),
        FieldKind.UInteger => FieldValue.FromUInteger(UIntegers![index]),
        FieldKind.Boolean => FieldValue.FromBoolean(Booleans![index]),
        _ => FieldValue.FromString(Strings![index]),
    };
}
