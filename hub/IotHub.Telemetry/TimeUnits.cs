namespace IotHub.Telemetry;

/// <summary>Conversions between the hub's nanosecond timestamps and other units.</summary>
public static class TimeUnits
{
    /// <summary>Nanoseconds per millisecond.</summary>
    public const long NanosPerMillisecond = 1_000_000;

    /// <summary>Milliseconds since the epoch to nanoseconds; throws on overflow.</summary>
    public static long FromUnixMilliseconds(long milliseconds) => checked(milliseconds * NanosPerMillisecond);

    /// <summary>Nanoseconds since the epoch to a UTC <see cref="DateTimeOffset"/>.</summary>
    public static DateTimeOffset ToDateTimeOffset(long nanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100);

    /// <summary>A <see cref="DateTimeOffset"/> to nanoseconds since the epoch.</summary>
    public static long FromDateTimeOffset(DateTimeOffset time) =>
        checked((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
}
