using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// Serializes <see cref="Point"/> objects to line protocol that <see cref="LineProtocolReader"/>
/// (and InfluxDB) reads back to equal points.
/// </summary>
/// <remarks>
/// Floats are written with the shortest digits that round-trip, laid out as Go's
/// <c>strconv.FormatFloat(f, 'g', -1, 64)</c> does (<c>12.5</c>, <c>6.632243e+06</c>,
/// <c>5e-324</c>) so the output matches the reference encoder byte for byte; signed integers get
/// an <c>i</c> suffix, unsigned ones a <c>u</c>. A point the grammar cannot express (a name
/// with a control character, an empty tag value, a name ending in a backslash, a measurement
/// starting with <c>#</c>, a NaN or infinite float) is rejected with an
/// <see cref="ArgumentException"/> before anything is written.
/// </remarks>
public static class LineProtocolWriter
{
    // Longest float text: "-" + 17 digits + "." + "e-324" is well under this.
    private const int MaxFloatLength = 32;

    // Longest "-9223372036854775808i" and " -9223372036854775808\n".
    private const int MaxIntegerLength = 24;

    /// <summary>Writes one point followed by a line feed.</summary>
    /// <exception cref="ArgumentException">The point cannot be expressed in line protocol.</exception>
    public static void Write(IBufferWriter<byte> output, Point point, LineProtocolPrecision precision = LineProtocolPrecision.Nanosecond)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(point);
        Validate(point);

        WriteName(output, point.Measurement, NameKind.Measurement);
        foreach (var tag in point.Tags)
        {
            WriteByte(output, (byte)',');
            WriteName(output, tag.Key, NameKind.Key);
            WriteByte(output, (byte)'=');
            WriteName(output, tag.Value, NameKind.Key);
        }

        var separator = (byte)' ';
        foreach (var field in point.Fields)
        {
            WriteByte(output, separator);
            separator = (byte)',';
            WriteName(output, field.Key, NameKind.Key);
            WriteByte(output, (byte)'=');
            WriteValue(output, field.Value);
        }

        var span = output.GetSpan(MaxIntegerLength);
        span[0] = (byte)' ';
        var timestamp = FloorDivide(point.TimestampNs, precision.NanosecondsPerUnit());
        Utf8Formatter.TryFormat(timestamp, span[1..], out var written);
        span[1 + written] = (byte)'\n';
        output.Advance(written + 2);
    }

    /// <summary>Writes points, one line each.</summary>
    /// <exception cref="ArgumentException">A point cannot be expressed in line protocol (the points before it are written).</exception>
    public static void Write(IBufferWriter<byte> output, IEnumerable<Point> points, LineProtocolPrecision precision = LineProtocolPrecision.Nanosecond)
    {
        ArgumentNullException.ThrowIfNull(points);
        foreach (var point in points)
        {
            Write(output, point, precision);
        }
    }

    /// <summary>The line of one point, without a line feed.</summary>
    /// <exception cref="ArgumentException">The point cannot be expressed in line protocol.</exception>
    public static string ToLineProtocol(Point point, LineProtocolPrecision precision = LineProtocolPrecision.Nanosecond)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, point, precision);
        return Encoding.UTF8.GetString(buffer.WrittenSpan[..^1]);
    }

    /// <summary>
    /// Formats a float as Go's <c>FormatFloat(value, 'g', -1, 64)</c>: shortest round-trip
    /// digits, exponent form when the decimal exponent is below -4 or at least 6.
    /// </summary>
    /// <param name="value">A finite float.</param>
    /// <param name="destination">At least 32 bytes.</param>
    /// <returns>The bytes written.</returns>
    public static int FormatFloat(double value, Span<byte> destination)
    {
        // .NET's "R" yields the shortest round-trip digits; only their layout differs from Go.
        Span<byte> roundTrip = stackalloc byte[MaxFloatLength];
        value.TryFormat(roundTrip, out var length, "R", CultureInfo.InvariantCulture);
        roundTrip = roundTrip[..length];

        Span<byte> digits = stackalloc byte[MaxFloatLength];
        var digitCount = 0;
        var digitsBeforePoint = -1;
        var exponent = 0;
        var position = 0;
        var negative = roundTrip[0] == '-';
        if (negative)
        {
            position = 1;
        }

        for (; position < roundTrip.Length; position++)
        {
            var current = roundTrip[position];
            if (current == '.')
            {
                digitsBeforePoint = digitCount;
            }
            else if (current == 'E')
            {
                // "R" always writes a valid exponent such as "E+21" or "E-05".
                if (!Utf8Parser.TryParse(roundTrip[(position + 1)..], out exponent, out _))
                {
                    throw new InvalidOperationException("Unexpected round-trip float format.");
                }

                break;
            }
            else
            {
                digits[digitCount++] = current;
            }
        }

        if (digitsBeforePoint < 0)
        {
            digitsBeforePoint = digitCount;
        }

        var first = 0;
        while (first < digitCount && digits[first] == '0')
        {
            first++;
        }

        var written = 0;
        if (negative)
        {
            destination[written++] = (byte)'-';
        }

        if (first == digitCount)
        {
            destination[written++] = (byte)'0';
            return written;
        }

        var last = digitCount;
        while (digits[last - 1] == '0')
        {
            last--;
        }

        var significant = digits[first..last];
        var decimalExponent = digitsBeforePoint - 1 - first + exponent;
        if (decimalExponent < -4 || decimalExponent >= 6)
        {
            // d[.ddd]e±dd
            destination[written++] = significant[0];
            if (significant.Length > 1)
            {
                destination[written++] = (byte)'.';
                significant[1..].CopyTo(destination[written..]);
                written += significant.Length - 1;
            }

            destination[written++] = (byte)'e';
            destination[written++] = decimalExponent < 0 ? (byte)'-' : (byte)'+';
            var magnitude = Math.Abs(decimalExponent);
            if (magnitude < 10)
            {
                destination[written++] = (byte)'0';
            }

            Utf8Formatter.TryFormat(magnitude, destination[written..], out var exponentLength);
            return written + exponentLength;
        }

        if (decimalExponent < 0)
        {
            // 0.000ddd
            destination[written++] = (byte)'0';
            destination[written++] = (byte)'.';
            for (var zero = -1; zero > decimalExponent; zero--)
            {
                destination[written++] = (byte)'0';
            }

            significant.CopyTo(destination[written..]);
            return written + significant.Length;
        }

        // ddd[.ddd], padding the integer part with zeros when the digits end before the point.
        var integerDigits = decimalExponent + 1;
        for (var k = 0; k < integerDigits; k++)
        {
            destination[written++] = k < significant.Length ? significant[k] : (byte)'0';
        }

        if (significant.Length > integerDigits)
        {
            destination[written++] = (byte)'.';
            significant[integerDigits..].CopyTo(destination[written..]);
            written += significant.Length - integerDigits;
        }

        return written;
    }

    private static long FloorDivide(long value, long divisor)
    {
        var quotient = Math.DivRem(value, divisor, out var remainder);
        return remainder < 0 ? quotient - 1 : quotient;
    }

    private static void Validate(Point point)
    {
        ValidateName(point.Measurement, "measurement");
        if (point.Measurement[0] == '#')
        {
            throw new ArgumentException($"Measurement '{point.Measurement}' starts with '#' and would be read as a comment.", nameof(point));
        }

        foreach (var tag in point.Tags)
        {
            ValidateName(tag.Key, "tag key");
            ValidateName(tag.Value, $"value of tag '{tag.Key}'");
        }

        foreach (var field in point.Fields)
        {
            ValidateName(field.Key, "field key");
            if (field.Value.Kind == FieldKind.Float && !double.IsFinite(field.Value.AsFloat))
            {
                throw new ArgumentException($"Field '{field.Key}' is {field.Value.AsFloat}; line protocol has no NaN or infinite floats.", nameof(point));
            }
        }
    }

    private static void ValidateName(string name, string what)
    {
        if (name.Length == 0)
        {
            throw new ArgumentException($"The {what} is empty; line protocol cannot express it.", nameof(name));
        }

        foreach (var character in name)
        {
            if (character < 0x20 || character == 0x7F)
            {
                throw new ArgumentException($"The {what} '{name}' holds control character U+{(int)character:X4}; line protocol cannot express it.", nameof(name));
            }
        }

        // Names end at a ',', '=' or ' ' which a trailing backslash would escape.
        if (name[^1] == '\\')
        {
            throw new ArgumentException($"The {what} '{name}' ends with a backslash; line protocol cannot express it.", nameof(name));
        }
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private static void WriteValue(IBufferWriter<byte> output, FieldValue value)
    {
        switch (value.Kind)
        {
            case FieldKind.Float:
            {
                var span = output.GetSpan(MaxFloatLength);
                output.Advance(FormatFloat(value.AsFloat, span));
                break;
            }

            case FieldKind.Integer:
            {
                var span = output.GetSpan(MaxIntegerLength);
                Utf8Formatter.TryFormat(value.AsInteger, span, out var written);
                span[written] = (byte)'i';
                output.Advance(written + 1);
                break;
            }

            case FieldKind.UInteger:
            {
                var span = output.GetSpan(MaxIntegerLength);
                Utf8Formatter.TryFormat(value.AsUInteger, span, out var written);
                span[written] = (byte)'u';
                output.Advance(written + 1);
                break;
            }

            case FieldKind.Boolean:
                output.Write(value.AsBoolean ? "true"u8 : "false"u8);
                break;

            default:
                WriteByte(output, (byte)'"');
                WriteName(output, value.AsString, NameKind.String);
                WriteByte(output, (byte)'"');
                break;
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 with the escapes of its place in the line.</summary>
    private static void WriteName(IBufferWriter<byte> output, string text, NameKind kind)
    {
        // Every byte escapes to at most two. The UTF-8 bytes are encoded into the upper half of
        // the span and escaped forward into the lower half: the write position never passes the
        // read position, because the read offset starts at half the span.
        var maxUtf8 = Encoding.UTF8.GetMaxByteCount(text.Length);
        var span = output.GetSpan(maxUtf8 * 2);
        var source = span.Slice(maxUtf8, maxUtf8);
        var length = Encoding.UTF8.GetBytes(text, source);
        var written = 0;
        for (var k = 0; k < length; k++)
        {
            var current = source[k];
            var escape = EscapeOf(current, kind);
            if (escape != 0)
            {
                span[written++] = (byte)'\\';
                current = escape;
            }

            span[written++] = current;
        }

        output.Advance(written);
    }

    /// <summary>The byte written after a backslash for <paramref name="value"/>, or 0 when it needs no escape.</summary>
    private static byte EscapeOf(byte value, NameKind kind) => kind switch
    {
        NameKind.Measurement => value is (byte)' ' or (byte)',' ? value : (byte)0,
        NameKind.Key => value is (byte)' ' or (byte)',' or (byte)'=' ? value : (byte)0,
        _ => value switch
        {
            (byte)'\\' or (byte)'"' => value,
            (byte)'\n' => (byte)'n',
            (byte)'\r' => (byte)'r',
            (byte)'\t' => (byte)'t',
            _ => 0,
        },
    };
}
