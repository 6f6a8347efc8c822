using System.Text.Json;
using IotHub.City;
using IotHub.Edge;
using IotHub.Ingest;
using IotHub.Simulators;

namespace IotHub.Hub;

/// <summary>
/// The demo's simulated city: registers the demo scenario's devices (tokens kept in
/// <c>DIR/devices.json</c> across restarts) and runs them as edge agents that connect to the
/// hub over real MQTT with their own credentials.
/// </summary>
internal sealed class DemoRunner(DeviceRegistry registry, string dataDirectory, int seed, TimeProvider time, ILoggerFactory loggers)
{
    private const string DevicesFileName = "devices.json";
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly CityScenario _scenario = CityScenario.Demo;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    /// <summary>One entry of devices.json.</summary>
    /// <param name="Id">Device id (also its MQTT client id and user name).</param>
    /// <param name="Kind">Kind id.</param>
    /// <param name="Name">Name.</param>
    /// <param name="Token">Secret token (MQTT password, or user name ThingsBoard style).</param>
    /// <param name="TelemetryTopic">Where it publishes readings.</param>
    internal sealed record DeviceEntry(string Id, string Kind, string Name, string Token, string TelemetryTopic);

    /// <summary>The file's shape.</summary>
    /// <param name="Devices">Every demo device.</param>
    internal sealed record DevicesFile(IReadOnlyList<DeviceEntry> Devices);

    public async Task RegisterDevicesAsync()
    {
        var path = Path.Combine(dataDirectory, DevicesFileName);
        if (File.Exists(path))
        {
            var existing = JsonSerializer.Deserialize<DevicesFile>(await File.ReadAllBytesAsync(path), JsonOptions);
            foreach (var entry in existing?.Devices ?? [])
            {
                _tokens[entry.Id] = entry.Token;
            }
        }

        var entries = new List<DeviceEntry>();
        foreach (var device in _scenario.Devices)
        {
            var tags = new Dictionary<string, string>(device.Tags, StringComparer.Ordinal);
            var token = registry.Register(device.Id, device.Kind.Id, device.Name, tags, _tokens.GetValueOrDefault(device.Id), time, device.Thresholds);
            _tokens[device.Id] = token;
            entries.Add(new DeviceEntry(device.Id, device.Kind.Id, device.Name, token, Telemetry.DeviceTopic.TelemetryTopic(device.Id)));
        }

        PrivateFile.WriteAtomically(path, stream => JsonSerializer.Serialize(stream, new DevicesFile(entries), JsonOptions));
    }

    public async Task RunAsync(int mqttPort, CancellationToken cancellationToken)
    {
        var simulation = new CitySimulation(_scenario, seed, time.GetUtcNow());
        var simulationLock = new Lock();

        // The demo samples every 2 s (the field default is 10 minutes) so the dashboard moves.
        var demoSampling = new DeviceSettings { NormalInterval = TimeSpan.FromSeconds(2), FastInterval = TimeSpan.FromSeconds(2) };
        var gauges = _scenario.Devices.Where(d => d.Thresholds is not null).ToList();
        var devices = _scenario.Devices
            .Select(d => new EdgeDeviceOptions(d.Id, _tokens[d.Id], new SimulatedSensor(simulation, simulationLock, d))
            {
                Name = d.Name,
                Settings = demoSampling with { Standby = d.Thresholds?.Standby, FloodDanger = d.Thresholds?.FloodDanger },
                NearbyGauges = ReferenceEquals(d.Kind, DeviceKinds.SmartPole)
                    ? [.. gauges.Where(g => new GeoPoint(g.Latitude, g.Longitude).DistanceKm(new GeoPoint(d.Latitude, d.Longitude)) <= 6.0).Select(g => g.Id)]
                    : [],
            })
            .ToList();

        // The demo's agent keeps its disk queue in the hub's data folder, so a restart resumes it.
        var options = new EdgeAgentOptions { Port = mqttPort, QueuePath = Path.Combine(dataDirectory, "demo-edge-queue.db"), MaxQueueBytes = 64L * 1024 * 1024 };
        await using var agent = new EdgeAgent(options, devices, time, loggers.CreateLogger("IotHub.Edge"), seed);
        await agent.RunAsync(cancellationToken);
    }
}
