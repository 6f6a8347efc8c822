namespace IotHub.Edge;

/// <summary>One device an agent hosts: its identity, its sensors, and what its rules follow.</summary>
/// <param name="DeviceId">Device id registered at the hub.</param>
/// <param name="Token">The device's secret token.</param>
/// <param name="Sensor">Its sensors (a driver of its kind).</param>
public sealed record EdgeDeviceOptions(string DeviceId, string Token, ISensor Sensor)
{
    /// <summary>Sampling intervals and rule thresholds until the hub's config topic says otherwise.</summary>
    public DeviceSettings Settings { get; init; } = new();

    /// <summary>Smart pole: the river gauges of this agent whose flood danger its signage shows.</summary>
    public IReadOnlyList<string> NearbyGauges { get; init; } = [];

    /// <summary>Human-readable name (a gauge's name appears in the poles' disaster message). Default: the id.</summary>
    public string? Name { get; init; }
}
