using IotHub.City;

namespace IotHub.Ingest;

/// <summary>A registered device. The token itself is never stored, only its SHA-256.</summary>
/// <param name="Id">Device id (a valid topic level).</param>
/// <param name="Kind">Device kind id (<c>river-gauge</c>, ...).</param>
/// <param name="Name">Human-readable name.</param>
/// <param name="Tags">Tags added to every point of the device (besides <c>device</c>).</param>
/// <param name="TokenSha256">Hex SHA-256 of the device's secret token.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="Thresholds">River gauges: the four threshold levels, for alerts and the dashboard.</param>
public sealed record DeviceRecord(
    string Id,
    string Kind,
    string Name,
    IReadOnlyDictionary<string, string> Tags,
    string TokenSha256,
    DateTimeOffset CreatedAt,
    GaugeThresholds? Thresholds = null);
