namespace IotHub.Telemetry;

/// <summary>How a telemetry payload is encoded.</summary>
public enum PayloadFormat
{
    /// <summary>ThingsBoard-style JSON or SenML JSON (told apart by shape).</summary>
    Json,

    /// <summary>InfluxDB line protocol.</summary>
    LineProtocol,
}
