using IotHub.City;

namespace IotHub.Edge;

/// <summary>
/// A device's sensors, read by the agent at each sample. A driver per device kind implements it:
/// simulated drivers read the city simulator; hardware drivers would read the real sensors.
/// </summary>
public interface ISensor
{
    /// <summary>The kind of device these sensors belong to; readings use its field names and types.</summary>
    DeviceKind Kind { get; }

    /// <summary>Reads every sensor now: field name and value (double, long, bool or string).</summary>
    IReadOnlyList<KeyValuePair<string, object>> Read(DateTimeOffset now);
}
