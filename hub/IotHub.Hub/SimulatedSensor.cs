using IotHub.City;
using IotHub.Edge;
using IotHub.Simulators;

namespace IotHub.Hub;

/// <summary>A device's sensors read from the shared city simulation (advanced to the read time first).</summary>
internal sealed class SimulatedSensor(CitySimulation simulation, Lock simulationLock, DeviceSpec device) : ISensor
{
    public DeviceKind Kind => device.Kind;

    public IReadOnlyList<KeyValuePair<string, object>> Read(DateTimeOffset now)
    {
        lock (simulationLock)
        {
            if (now > simulation.Now)
            {
                simulation.AdvanceTo(now);
            }

            return simulation.Read(device.Id);
        }
    }
}
