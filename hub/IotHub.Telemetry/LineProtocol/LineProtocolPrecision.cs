namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// The unit of the timestamps in a line protocol body (the <c>precision</c> query parameter of
/// the InfluxDB write API). The hub stores nanoseconds, so a timestamp is multiplied by the
/// unit on the way in and divided by it on the way out.
/// </summary>
public enum LineProtocolPrecision
{
    /// <summary>Nanoseconds (<c>ns</c>), the default.</summary>
    Nanosecond,

    /// <summary>Microseconds (<c>us</c>).</summary>
    Microsecond,

    /// <summary>Milliseconds (<c>ms</c>).</summary>
    Millisecond,

    /// <summary>Seconds (<c>s</c>).</summary>
    Second,
}
