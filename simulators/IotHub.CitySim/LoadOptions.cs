namespace IotHub.CitySim;

/// <summary>A load run's shape.</summary>
/// <param name="Devices">Simulated devices, each with its own MQTT connection.</param>
/// <param name="Interval">How often each device publishes.</param>
/// <param name="Duration">How long they publish once all are connected.</param>
/// <param name="ConnectConcurrency">Connection attempts in flight at once.</param>
/// <param name="DevicesPerSourceAddress">Connections per loopback source address (127.0.0.1, .2, ...): each address has one range of ephemeral ports.</param>
/// <param name="Seed">Seed of the device tokens.</param>
/// <param name="HubPid">Process id of the hub, to report its CPU and RSS; 0: not reported.</param>
/// <param name="Register">Register the devices over HTTP first (false when registry.json was written beforehand).</param>
internal sealed record LoadOptions(
    int Devices,
    TimeSpan Interval,
    TimeSpan Duration,
    int ConnectConcurrency,
    int DevicesPerSourceAddress,
    int Seed,
    int HubPid,
    bool Register);
