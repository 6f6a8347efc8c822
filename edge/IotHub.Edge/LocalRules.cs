using IotHub.City;

namespace IotHub.Edge;

/// <summary>
/// The rules an agent applies on its own, with or without the hub: which readings are alarms,
/// when a device samples fast, and what a smart pole's signage shows. Gauge readings are shared
/// inside one agent process, so a pole reacts to a nearby gauge of the same agent even while the
/// hub is unreachable.
/// </summary>
/// <remarks>
/// Alarms (never dropped from a full queue): a river gauge reading at or above its standby level;
/// a manhole reading that is surcharged, at or above its sewer alarm level, or with the cover open;
/// a pole reading while its signage shows a disaster message. Fast sampling: a gauge or manhole in
/// alarm, or whose level rose at least <see cref="DeviceSettings.RisingFastMetersPerHour"/> over the
/// last minutes. A gauge is in flood danger from its <see cref="DeviceSettings.FloodDanger"/> level
/// until it falls <see cref="DangerClearMargin"/> below it, so signage does not flap.
/// Not thread-safe: the agent's sampling loop is its only caller.
/// </remarks>
public sealed class LocalRules
{
    /// <summary>What a pole's screen shows when no nearby gauge is in flood danger.</summary>
    public const string NormalSignage = "normal";

    /// <summary>Metres below flood danger a gauge must fall before its danger clears.</summary>
    public const double DangerClearMargin = 0.1;

    // The rise rate is measured over readings at least this far apart, so sensor noise between
    // close readings does not look like a rise.
    private static readonly TimeSpan RiseWindow = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MinRiseSpan = TimeSpan.FromMinutes(2);

    private readonly Dictionary<string, GaugeDanger> _gauges = new(StringComparer.Ordinal);

    /// <summary>Set when a gauge entered or left flood danger since the last <see cref="TakeDangerChanged"/>.</summary>
    private bool _dangerChanged;

    /// <summary>Returns whether any gauge's flood danger changed since the last call, and clears the flag.</summary>
    internal bool TakeDangerChanged()
    {
        var changed = _dangerChanged;
        _dangerChanged = false;
        return changed;
    }

    /// <summary>Whether the gauge is in flood danger now (as far as this agent knows).</summary>
    public bool InFloodDanger(string gaugeId) => _gauges.TryGetValue(gaugeId, out var gauge) && gauge.InDanger;

    /// <summary>
    /// Applies the rules to a reading of <paramref name="device"/> taken at <paramref name="now"/>;
    /// may rewrite the reading (a pole's signage field shows what the agent put on its screen).
    /// </summary>
    internal (bool Alarm, bool Fast) Apply(DeviceRuntime device, List<KeyValuePair<string, object>> values, DateTimeOffset now)
    {
        var settings = device.Settings;
        if (Find(values, "battery") is double battery)
        {
            device.LastBattery = battery;
        }

        var kind = device.Options.Sensor.Kind;
        if (ReferenceEquals(kind, DeviceKinds.RiverGauge))
        {
            if (Find(values, "level") is not double level)
            {
                return (false, false);
            }

            var rising = device.RiseRate(level, now, RiseWindow, MinRiseSpan) >= settings.RisingFastMetersPerHour;
            var aboveStandby = settings.Standby is { } standby && level >= standby;
            UpdateDanger(device, level, settings.FloodDanger);
            return (aboveStandby, aboveStandby || rising);
        }

        if (ReferenceEquals(kind, DeviceKinds.Manhole))
        {
            var surcharged = Find(values, "surcharged") is true;
            var coverOpen = Find(values, "cover_open") is true;
            var rising = false;
            var high = false;
            if (Find(values, "level") is double level)
            {
                rising = device.RiseRate(level, now, RiseWindow, MinRiseSpan) >= settings.RisingFastMetersPerHour;
                high = settings.SewerAlarmLevel is { } alarmLevel && level >= alarmLevel;
            }

            return (surcharged || high || coverOpen, surcharged || high || rising);
        }

        if (ReferenceEquals(kind, DeviceKinds.SmartPole))
        {
            var message = NormalSignage;
            foreach (var gaugeId in device.Options.NearbyGauges)
            {
                if (_gauges.TryGetValue(gaugeId, out var gauge) && gauge.InDanger)
                {
                    message = $"Flood danger at {gauge.Name}. Evacuate to upper floors or higher ground.";
                    break;
                }
            }

            device.ShowSignage(message);
            for (var i = 0; i < values.Count; i++)
            {
                if (string.Equals(values[i].Key, "signage", StringComparison.Ordinal))
                {
                    values[i] = new("signage", message);
                }
            }

            return (!string.Equals(message, NormalSignage, StringComparison.Ordinal), false);
        }

        return (false, false);
    }

    private void UpdateDanger(DeviceRuntime gauge, double level, double? floodDanger)
    {
        var id = gauge.Options.DeviceId;
        if (!_gauges.TryGetValue(id, out var state))
        {
            state = new GaugeDanger(gauge.Options.Name ?? id);
            _gauges[id] = state;
        }

        var inDanger = floodDanger is { } danger && (level >= danger || (state.InDanger && level > danger - DangerClearMargin));
        if (inDanger != state.InDanger)
        {
            state.InDanger = inDanger;
            _dangerChanged = true;
        }
    }

    private static object? Find(List<KeyValuePair<string, object>> values, string name)
    {
        foreach (var (key, value) in values)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return value;
            }
        }

        return null;
    }

    private sealed class GaugeDanger(string name)
    {
        public string Name { get; } = name;

        public bool InDanger { get; set; }
    }
}
