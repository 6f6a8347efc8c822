namespace IotHub.City;

/// <summary>One device of a scenario as the hub registers it.</summary>
/// <param name="Id">Device id: lowercase ASCII letters, digits and dashes, so it is a valid MQTT topic level.</param>
/// <param name="Kind">What it is, and so which measurement and fields it reports.</param>
/// <param name="Name">Human-readable name for the dashboard.</param>
/// <param name="Latitude">WGS 84 latitude, degrees.</param>
/// <param name="Longitude">WGS 84 longitude, degrees.</param>
/// <param name="Tags">
/// What the hub stores as tags on this device's points besides the device id (for example
/// <c>river=kanda</c>, <c>line=asakusa</c>, <c>car=3</c>, <c>lane=1</c>, <c>district=shinjuku</c>),
/// sorted by key.
/// </param>
public sealed record DeviceSpec(string Id, DeviceKind Kind, string Name, double Latitude, double Longitude, IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>The gauge's four threshold levels; set on river gauges only.</summary>
    public GaugeThresholds? Thresholds { get; init; }
}
