using IotHub.City;

namespace IotHub.Ingest;

/// <summary>One device to register.</summary>
/// <param name="Id">Device id (a valid topic level).</param>
/// <param name="Kind">Device kind id.</param>
/// <param name="Name">Human-readable name (the id when empty).</param>
/// <param name="Tags">Tags added to every point of the device.</param>
/// <param name="Token">Its token (16+ characters), or <c>null</c> for a new random one.</param>
/// <param name="Thresholds">River gauges: the four threshold levels.</param>
public sealed record DeviceRegistrationRequest(
    string Id,
    string Kind,
    string Name,
    IReadOnlyDictionary<string, string> Tags,
    string? Token = null,
    GaugeThresholds? Thresholds = null);
