using System.Buffers;
using IotHub.City;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Simulators;

/// <summary>
/// Samples every device of a city at its kind's <see cref="DeviceKind.ReportInterval"/>, on a grid
/// of whole minutes, and hands out the readings as points or line protocol: the history a backfill
/// writes and the readings a live run publishes.
/// </summary>
/// <remarks>
/// Devices of one kind do not all report in the same minute: device <c>n</c> reports when the
/// minute number since the start is congruent to <c>n</c> modulo its interval, so the load is
/// spread evenly over the minutes, as real unsynchronised devices spread it. Everything is a pure
/// function of (scenario, seed, start): the same inputs give byte-identical line protocol.
/// Not thread-safe.
/// </remarks>
public sealed class CityRecorder
{
    /// <summary>The sampling grid.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMinutes(1);

    private readonly CitySimulation _simulation;
    private readonly DeviceSpec[] _devices;
    private readonly KeyValuePair<string, string>[][] _tags;
    private readonly int[] _intervalTicks;
    private readonly int[] _phase;
    private readonly DateTimeOffset _start;
    private readonly List<KeyValuePair<string, FieldValue>> _fields = new(16);
    private long _tick;

    /// <summary>Creates a recorder whose first tick is <paramref name="start"/>.</summary>
    /// <param name="scenario">The city.</param>
    /// <param name="seed">Seed of the simulation.</param>
    /// <param name="start">Simulated start; must be a whole minute (UTC).</param>
    /// <exception cref="ArgumentException"><paramref name="start"/> is not on a whole minute, or a kind's report interval is not a whole number of minutes.</exception>
    public CityRecorder(CityScenario scenario, int seed, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (start.UtcTicks % Tick.Ticks != 0)
        {
            throw new ArgumentException("The start must be on a whole minute.", nameof(start));
        }

        _start = start;
        _simulation = new CitySimulation(scenario, seed, start);
        _devices = [.. scenario.Devices];
        _tags = new KeyValuePair<string, string>[_devices.Length][];
        _intervalTicks = new int[_devices.Length];
        _phase = new int[_devices.Length];
        for (int i = 0; i < _devices.Length; i++)
        {
            var device = _devices[i];
            var tags = new List<KeyValuePair<string, string>>(device.Tags.Count + 1) { new("device", device.Id) };
            tags.AddRange(device.Tags);
            tags.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            _tags[i] = [.. tags];

            var interval = device.Kind.ReportInterval;
            if (interval < Tick || interval.Ticks % Tick.Ticks != 0)
            {
                throw new ArgumentException($"Kind '{device.Kind.Id}': ReportInterval must be a whole number of minutes.", nameof(scenario));
            }

            _intervalTicks[i] = (int)(interval.Ticks / Tick.Ticks);
            _phase[i] = i % _intervalTicks[i];
        }
    }

    /// <summary>The simulation sampled (for ground truth and signal timings).</summary>
    public CitySimulation Simulation => _simulation;

    /// <summary>The time of the next tick.</summary>
    public DateTimeOffset NextTime => _start + (Tick * _tick);

    /// <summary>Devices sampled, in the scenario's order.</summary>
    public IReadOnlyList<DeviceSpec> Devices => _devices;

    /// <summary>How many points one simulated day yields on average.</summary>
    public double PointsPerDay
    {
        get
        {
            double perDay = 0;
            foreach (int interval in _intervalTicks)
            {
                perDay += 1440.0 / interval;
            }

            return perDay;
        }
    }

    /// <summary>
    /// Advances to the next tick and calls <paramref name="visit"/> for every device due then, with
    /// its readings (typed as <see cref="CitySimulation.Read"/> documents).
    /// </summary>
    /// <returns>The number of devices visited.</returns>
    public int ReadNextTick(Action<DeviceSpec, DateTimeOffset, IReadOnlyList<KeyValuePair<string, object>>> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        var time = NextTime;
        _simulation.AdvanceTo(time);
        int visited = 0;
        for (int i = 0; i < _devices.Length; i++)
        {
            if (_tick % _intervalTicks[i] == _phase[i])
            {
                visit(_devices[i], time, _simulation.Read(_devices[i].Id));
                visited++;
            }
        }

        _tick++;
        return visited;
    }

    /// <summary>
    /// Advances to the next tick and writes the points of every device due then as line protocol
    /// (measurement of the kind, tags <c>device</c> plus the scenario's, one line per device).
    /// </summary>
    /// <returns>The number of points written.</returns>
    public int WriteNextTick(IBufferWriter<byte> output, LineProtocolPrecision precision = LineProtocolPrecision.Second)
    {
        ArgumentNullException.ThrowIfNull(output);
        var time = NextTime;
        _simulation.AdvanceTo(time);
        long timestampNs = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        int written = 0;
        for (int i = 0; i < _devices.Length; i++)
        {
            if (_tick % _intervalTicks[i] == _phase[i])
            {
                var device = _devices[i];
                AddFields(device.Kind, _simulation.Read(device.Id), _fields);
                LineProtocolWriter.Write(output, new Point(device.Kind.Measurement, _tags[i], _fields, timestampNs), precision);
                written++;
            }
        }

        _tick++;
        return written;
    }

    /// <summary>A device's readings as a point (tags: <c>device</c> plus the scenario's).</summary>
    public static Point ToPoint(DeviceSpec device, DateTimeOffset time, IReadOnlyList<KeyValuePair<string, object>> readings)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(readings);
        var tags = new List<KeyValuePair<string, string>>(device.Tags.Count + 1) { new("device", device.Id) };
        tags.AddRange(device.Tags);
        var fields = new List<KeyValuePair<string, FieldValue>>(readings.Count);
        AddFields(device.Kind, readings, fields);
        return new Point(device.Kind.Measurement, tags, fields, (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
    }

    private static void AddFields(DeviceKind kind, IReadOnlyList<KeyValuePair<string, object>> readings, List<KeyValuePair<string, FieldValue>> fields)
    {
        fields.Clear();
        foreach (var (name, value) in readings)
        {
            fields.Add(new(name, value switch
            {
                double d => FieldValue.FromFloat(d),
                long l => FieldValue.FromInteger(l),
                int n => FieldValue.FromInteger(n),
                bool b => FieldValue.FromBoolean(b),
                string s => FieldValue.FromString(s),
                _ => throw new InvalidOperationException($"Kind '{kind.Id}': field '{name}' has a value of type {value.GetType().Name}, which no field type maps to."),
            }));
        }
    }
}
