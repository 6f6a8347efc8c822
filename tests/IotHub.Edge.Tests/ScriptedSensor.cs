using IotHub.City;

namespace IotHub.Edge.Tests;

/// <summary>A sensor whose readings the test sets; also a signage screen.</summary>
internal sealed class ScriptedSensor(DeviceKind kind, params KeyValuePair<string, object>[] values) : ISensor, ISignageDisplay
{
    public DeviceKind Kind => kind;

    public List<KeyValuePair<string, object>> Values { get; } = [.. values];

    public List<string> Shown { get; } = [];

    public IReadOnlyList<KeyValuePair<string, object>> Read(DateTimeOffset now) => [.. Values];

    public void Set(string name, object value)
    {
        var index = Values.FindIndex(v => v.Key == name);
        if (index >= 0)
        {
            Values[index] = new(name, value);
        }
        else
        {
            Values.Add(new(name, value));
        }
    }

    public void Show(string message) => Shown.Add(message);

    public static ScriptedSensor Gauge(double level) => new(DeviceKinds.RiverGauge, new("level", level), new("rain_10min", 0.0), new("rain_rate", 0.0), new("rain_24h", 0.0));

    public static ScriptedSensor Pole() => new(
        DeviceKinds.SmartPole,
        new("people_count", 3L), new("flow_towards", 1L), new("flow_away", 1L), new("temperature", 20.0), new("humidity", 60.0),
        new("wind_speed", 1.0), new("rain_rate", 0.0), new("noise", 55.0), new("signage", "normal"));

    public static ScriptedSensor Manhole(bool surcharged) => new(
        DeviceKinds.Manhole, new("surcharged", surcharged), new("h2s", 1.0), new("cover_open", false), new("battery", 3.6));

    public static ScriptedSensor Detector() => new(
        DeviceKinds.TrafficDetector, new("volume", 12L), new("occupancy", 0.1), new("speed", 40.0), new("queue_length", 0.0));
}
