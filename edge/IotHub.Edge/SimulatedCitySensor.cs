using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Edge;

/// <summary>
/// A simulated driver: reads one device of a shared <see cref="CitySimulation"/> (advanced to the
/// read time first, under the lock every driver of the simulation shares). The simulated radio
/// reports an RSSI that drifts with the device and the minute; the clock offset is 0 (the agent's
/// clock is the simulation's).
/// </summary>
public sealed class SimulatedCitySensor : ISensor, ISensorHealth, ISignageDisplay
{
    private readonly CitySimulation _simulation;
    private readonly Lock _simulationLock;
    private readonly string _simulatedId;
    private readonly uint _radioSeed;
    private long _minute;

    /// <summary>Creates a driver for <paramref name="simulatedDevice"/> of the simulation.</summary>
    /// <param name="simulation">The city simulation shared by the agent's drivers.</param>
    /// <param name="simulationLock">The lock every driver of <paramref name="simulation"/> takes.</param>
    /// <param name="simulatedDevice">The scenario device whose readings this driver returns.</param>
    public SimulatedCitySensor(CitySimulation simulation, Lock simulationLock, DeviceSpec simulatedDevice)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentNullException.ThrowIfNull(simulatedDevice);
        _simulation = simulation;
        _simulationLock = simulationLock;
        _simulatedId = simulatedDevice.Id;
        Kind = simulatedDevice.Kind;
        uint hash = 2166136261;
        foreach (var c in simulatedDevice.Id)
        {
            hash = (hash ^ c) * 16777619;
        }

        _radioSeed = hash;
    }

    /// <inheritdoc />
    public DeviceKind Kind { get; }

    /// <inheritdoc />
    public double? RssiDbm
    {
        get
        {
            // -55 to -95 dBm: a fixed part per device plus a slow drift per minute.
            var drift = (uint)(_radioSeed ^ (uint)Interlocked.Read(ref _minute)) * 2654435761u;
            return Math.Round(-55 - (30 * (_radioSeed % 1000 / 1000.0)) - (10 * (drift % 1000 / 1000.0)), 1);
        }
    }

    /// <inheritdoc />
    public TimeSpan? ClockOffset => TimeSpan.Zero;

    /// <summary>What the simulated screen shows now.</summary>
    public string Signage { get; private set; } = LocalRules.NormalSignage;

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, object>> Read(DateTimeOffset now)
    {
        Interlocked.Exchange(ref _minute, now.ToUnixTimeSeconds() / 60);
        lock (_simulationLock)
        {
            if (now > _simulation.Now)
            {
                _simulation.AdvanceTo(now);
            }

            return _simulation.Read(_simulatedId);
        }
    }

    /// <inheritdoc />
    public void Show(string message) => Signage = message;
}
