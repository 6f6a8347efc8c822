namespace IotHub.Telemetry.LineProtocol;

/// <summary>Conversions between <see cref="LineProtocolPrecision"/> and nanoseconds or query strings.</summary>
public static class LineProtocolPrecisionExtensions
{
    /// <summary>The number of nanoseconds in one unit of <paramref name="precision"/>.</summary>
    public static long NanosecondsPerUnit(this LineProtocolPrecision precision) => precision switch
    {
        LineProtocolPrecision.Nanosecond => 1,
        LineProtocolPrecision.Microsecond => 1_000,
        LineProtocolPrecision.Millisecond => 1_000_000,
        LineProtocolPrecision.Second => 1_000_000_000,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown line protocol precision."),
    };

    /// <summary>
    /// Converts a timestamp in units of <paramref name="precision"/> to nanoseconds;
    /// <c>false</c> when the result does not fit in a signed 64-bit integer.
    /// </summary>
    public static bool TryToNanoseconds(this LineProtocolPrecision precision, long timestamp, out long nanoseconds)
    {
        var unit = precision.NanosecondsPerUnit();
        if (unit == 1)
        {
            nanoseconds = timestamp;
            return true;
        }

        // long.MinValue / unit and long.MaxValue / unit bound the timestamps whose product fits.
        if (timestamp > long.MaxValue / unit || timestamp < long.MinValue / unit)
        {
            nanoseconds = 0;
            return false;
        }

        nanoseconds = timestamp * unit;
        return true;
    }

    /// <summary>
    /// Rounds nanoseconds down (towards negative infinity) to a whole number of units, as the
    /// default time of a line without a timestamp is (Go's <c>time.Truncate</c>).
    /// </summary>
    public static long TruncateNanoseconds(this LineProtocolPrecision precision, long nanoseconds)
    {
        var unit = precision.NanosecondsPerUnit();
        var remainder = nanoseconds % unit;
        if (remainder < 0)
        {
            remainder += unit;
        }

        return nanoseconds - remainder;
    }

    /// <summary>
    /// Parses the write API's <c>precision</c> parameter: <c>ns</c>, <c>us</c> (or <c>µs</c>),
    /// <c>ms</c> or <c>s</c>; <c>null</c> or empty means nanoseconds.
    /// </summary>
    public static bool TryParse(string? text, out LineProtocolPrecision precision)
    {
        switch (text)
        {
            case null or "" or "ns" or "n":
                precision = LineProtocolPrecision.Nanosecond;
                return true;
            case "us" or "u" or "\u00b5s":
                precision = LineProtocolPrecision.Microsecond;
                return true;
            case "ms":
                precision = LineProtocolPrecision.Millisecond;
                return true;
            case "s":
                precision = LineProtocolPrecision.Second;
                return true;
            default:
                precision = LineProtocolPrecision.Nanosecond;
                return false;
        }
    }
}
