namespace IotHub.Telemetry;

/// <summary>
/// Readings decoded from a payload that names no measurement or tags (ThingsBoard JSON, SenML):
/// a timestamp (ns, or <c>null</c> for "now") and field values, typed as the payload typed them.
/// The hub maps them onto the device kind's measurement and field types.
/// </summary>
/// <param name="TimestampNs">Nanoseconds since the epoch, or <c>null</c> when the payload gave none.</param>
/// <param name="Values">Field name and value pairs.</param>
/// <param name="Units">Units the payload declared per field (SenML <c>u</c>/<c>bu</c>), or <c>null</c>.</param>
public sealed record RawReading(long? TimestampNs, IReadOnlyList<KeyValuePair<string, FieldValue>> Values, IReadOnlyDictionary<string, string>? Units = null);
