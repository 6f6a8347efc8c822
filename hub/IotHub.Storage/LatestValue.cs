using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>The newest stored value of one series.</summary>
/// <param name="Series">The series.</param>
/// <param name="TimestampNs">Its timestamp, ns since the epoch.</param>
/// <param name="Value">The value.</param>
public sealed record LatestValue(SeriesInfo Series, long TimestampNs, FieldValue Value);
