using System.Globalization;
using System.Text.Json;
using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Edge;

/// <summary>
/// Reads an agent's JSON config file into <see cref="EdgeAgentOptions"/> and devices with
/// simulated drivers. Every mistake throws an <see cref="EdgeConfigurationException"/> whose
/// message names the setting (and the device) and what is wrong.
/// </summary>
/// <remarks>
/// <code>
/// {
///   "hub": "mqtt://127.0.0.1:1883",            // mqtts:// for TLS
///   "tlsCaFile": "city-ca.pem",                 // mqtts:// or https:// grpcHub: the CA the hub's certificate chains to (default: system roots)
///   "queue": { "path": "agent-queue.db", "maxMegabytes": 256 },   // path relative to this file
///   "grpcHub": "http://127.0.0.1:8081",       // the hub's gRPC port, for "protocol": "grpc" (or run --uplink grpc)
///   "uplink": { "protocol": "mqtt", "maxBatchReadings": 500, "maxReadingsPerSecond": 200000, "maxReconnectDelaySeconds": 30, "timeoutSeconds": 10 },
///   "healthIntervalSeconds": 60,
///   "simulation": { "scenario": "demo", "seed": 42 },            // or "tokyo"
///   "sampling": { "normalIntervalSeconds": 600, "fastIntervalSeconds": 60 },   // defaults for every device
///   "devices": [
///     { "id": "kanda-1", "kind": "river-gauge", "token": "...",
///       "simulate": "kanda-1",                                   // scenario device; default: same id, else one of the kind
///       "normalIntervalSeconds": 600, "fastIntervalSeconds": 60,
///       "standby": 1.0, "floodDanger": 4.0, "risingFastMetersPerHour": 0.5,   // default: the scenario gauge's
///       "sewerAlarmLevel": 0.8,                                  // manholes; default 80% of the pipe
///       "nearbyGauges": ["kanda-1"] }                             // poles; default: this agent's gauges within 6 km
///   ]
/// }
/// </code>
/// </remarks>
public static class AgentConfigFile
{
    private const double NearbyGaugeKm = 6.0;

    /// <summary>What a config file describes.</summary>
    /// <param name="Options">The agent's options.</param>
    /// <param name="Devices">Its devices, with simulated drivers.</param>
    /// <param name="Simulation">The city simulation the drivers read.</param>
    public sealed record AgentSetup(EdgeAgentOptions Options, IReadOnlyList<EdgeDeviceOptions> Devices, CitySimulation Simulation);

    /// <summary>Reads and checks the file; the simulation starts at <paramref name="simulationStart"/>.</summary>
    public static AgentSetup Load(string path, string? queuePathOverride, DateTimeOffset simulationStart)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EdgeConfigurationException($"config file '{path}' cannot be read: {ex.Message}", ex);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new EdgeConfigurationException($"config file '{path}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            return Read(document.RootElement, baseDirectory, queuePathOverride, simulationStart);
        }
    }

    private static AgentSetup Read(JsonElement root, string baseDirectory, string? queuePathOverride, DateTimeOffset simulationStart)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new EdgeConfigurationException("the config file must hold a JSON object");
        }

        var options = new EdgeAgentOptions();
        ReadHub(root, options);

        var queue = Object(root, "queue");
        var queuePath = queuePathOverride ?? (queue is { } q ? String(q, "queue.path", "path") : null) ?? "agent-queue.db";
        options.QueuePath = Path.GetFullPath(queuePath, baseDirectory);
        if (queue is { } queueObject && Number(queueObject, "queue.maxMegabytes", "maxMegabytes", 0.0625, 1_000_000) is { } megabytes)
        {
            options.MaxQueueBytes = (long)(megabytes * 1024 * 1024);
        }

        if (String(root, "grpcHub", "grpcHub") is { } grpcHub)
        {
            options.GrpcHub = Uri.TryCreate(grpcHub, UriKind.Absolute, out var grpcUri)
                ? grpcUri
                : throw new EdgeConfigurationException($"grpcHub '{grpcHub}' must be a URL such as http://127.0.0.1:8081 (or https:// for TLS)");
        }

        if (options.TlsCaFile is { } caFile)
        {
            if (!options.UseTls && options.GrpcHub?.Scheme != Uri.UriSchemeHttps)
            {
                throw new EdgeConfigurationException("tlsCaFile is set but neither is hub an mqtts:// URL nor grpcHub an https:// one");
            }

            options.TlsCaFile = Path.GetFullPath(caFile, baseDirectory);
            _ = options.TlsRoots;
        }

        if (Object(root, "uplink") is { } uplink)
        {
            options.Uplink = String(uplink, "uplink.protocol", "protocol") is { } protocol ? ParseUplink(protocol, "uplink.protocol") : options.Uplink;
            options.MaxBatchReadings = (int)(Number(uplink, "uplink.maxBatchReadings", "maxBatchReadings", 1, 10_000) ?? options.MaxBatchReadings);
            options.MaxUplinkReadingsPerSecond = Number(uplink, "uplink.maxReadingsPerSecond", "maxReadingsPerSecond", 1, 1e9) ?? options.MaxUplinkReadingsPerSecond;
            options.MaxReconnectDelay = Seconds(uplink, "uplink.maxReconnectDelaySeconds", "maxReconnectDelaySeconds") ?? options.MaxReconnectDelay;
            options.Timeout = Seconds(uplink, "uplink.timeoutSeconds", "timeoutSeconds") ?? options.Timeout;
        }

        options.HealthInterval = Seconds(root, "healthIntervalSeconds", "healthIntervalSeconds") ?? options.HealthInterval;

        var scenario = CityScenario.Demo;
        var seed = 42;
        if (Object(root, "simulation") is { } simulation)
        {
            scenario = String(simulation, "simulation.scenario", "scenario") switch
            {
                null or "demo" => CityScenario.Demo,
                "tokyo" => CityScenario.Default,
                var other => throw new EdgeConfigurationException($"simulation.scenario '{other}' is not one of demo, tokyo"),
            };
            seed = (int)(Number(simulation, "simulation.seed", "seed", int.MinValue, int.MaxValue) ?? seed);
        }

        var agentSampling = Object(root, "sampling");
        if (!root.TryGetProperty("devices", out var devicesJson) || devicesJson.ValueKind != JsonValueKind.Array || devicesJson.GetArrayLength() == 0)
        {
            throw new EdgeConfigurationException("devices must be a non-empty array of {\"id\", \"kind\", \"token\"}");
        }

        var cityLock = new Lock();
        var city = new CitySimulation(scenario, seed, simulationStart);
        var entries = new List<(EdgeDeviceOptions Options, DeviceSpec Simulated, JsonElement Json)>();
        var nextOfKind = new Dictionary<DeviceKind, int>();
        var index = 0;
        foreach (var device in devicesJson.EnumerateArray())
        {
            var where = $"devices[{index.ToString(CultureInfo.InvariantCulture)}]";
            if (device.ValueKind != JsonValueKind.Object)
            {
                throw new EdgeConfigurationException($"{where} must be an object with id, kind and token");
            }

            var id = String(device, where + ".id", "id") ?? throw new EdgeConfigurationException($"{where}.id is required");
            if (!CityScenario.IsValidDeviceId(id))
            {
                throw new EdgeConfigurationException($"{where}.id '{id}' must be lowercase letters and digits in dash-separated words");
            }

            where = $"device '{id}'";
            var kindId = String(device, where + ": kind", "kind") ?? throw new EdgeConfigurationException($"{where}: kind is required");
            if (!DeviceKinds.TryGet(kindId, out var kind))
            {
                throw new EdgeConfigurationException($"{where}: kind '{kindId}' is not one of {string.Join(", ", DeviceKinds.All.Select(k => k.Id))}");
            }

            var token = String(device, where + ": token", "token");
            if (string.IsNullOrEmpty(token))
            {
                throw new EdgeConfigurationException($"{where}: token is required");
            }

            var driver = String(device, where + ": driver", "driver") ?? "simulated";
            if (!string.Equals(driver, "simulated", StringComparison.Ordinal))
            {
                throw new EdgeConfigurationException($"{where}: driver '{driver}' is not available (this build has the 'simulated' driver only)");
            }

            var simulated = PickSimulated(scenario, device, id, kind, where, nextOfKind);
            var settings = DefaultSettings(scenario, simulated);
            try
            {
                if (agentSampling is { } sampling)
                {
                    settings = settings.With(sampling);
                }

                settings = settings.With(device);
            }
            catch (FormatException ex)
            {
                throw new EdgeConfigurationException($"{where}: {ex.Message}", ex);
            }

            var sensor = new SimulatedCitySensor(city, cityLock, simulated);
            entries.Add((new EdgeDeviceOptions(id, token, sensor) { Settings = settings, Name = simulated.Name }, simulated, device));
            index++;
        }

        var devices = new List<EdgeDeviceOptions>(entries.Count);
        foreach (var (device, simulated, json) in entries)
        {
            devices.Add(ReferenceEquals(device.Sensor.Kind, DeviceKinds.SmartPole)
                ? device with { NearbyGauges = NearbyGauges(device.DeviceId, simulated, json, entries) }
                : device);
        }

        options.Validate();
        return new AgentSetup(options, devices, city);
    }

    private static void ReadHub(JsonElement root, EdgeAgentOptions options)
    {
        var hub = String(root, "hub", "hub") ?? throw new EdgeConfigurationException("hub is required, e.g. \"hub\": \"mqtt://127.0.0.1:1883\"");
        if (!Uri.TryCreate(hub, UriKind.Absolute, out var uri) || uri.Scheme is not ("mqtt" or "mqtts") || string.IsNullOrEmpty(uri.Host))
        {
            throw new EdgeConfigurationException($"hub '{hub}' must be a URL such as mqtt://127.0.0.1:1883 (or mqtts:// for TLS)");
        }

        options.Host = uri.Host;
        options.UseTls = uri.Scheme == "mqtts";
        options.TlsCaFile = String(root, "tlsCaFile", "tlsCaFile");
        options.Port = uri.IsDefaultPort || uri.Port < 0 ? (options.UseTls ? 8883 : 1883) : uri.Port;
    }

    /// <summary>Reads <c>mqtt</c> or <c>grpc</c>; <paramref name="where"/> names the setting in the error.</summary>
    public static UplinkProtocol ParseUplink(string protocol, string where) => protocol switch
    {
        "mqtt" => UplinkProtocol.Mqtt,
        "grpc" => UplinkProtocol.Grpc,
        _ => throw new EdgeConfigurationException($"{where} '{protocol}' is not one of mqtt, grpc"),
    };

    private static DeviceSpec PickSimulated(CityScenario scenario, JsonElement device, string id, DeviceKind kind, string where, Dictionary<DeviceKind, int> nextOfKind)
    {
        var simulateId = String(device, where + ": simulate", "simulate");
        if (simulateId is not null)
        {
            var named = scenario.FindDevice(simulateId) ?? throw new EdgeConfigurationException($"{where}: simulate '{simulateId}' is not a device of the {scenario.Name} scenario");
            if (!ReferenceEquals(named.Kind, kind))
            {
                throw new EdgeConfigurationException($"{where}: simulate '{simulateId}' is a {named.Kind.Id}, not a {kind.Id}");
            }

            return named;
        }

        if (scenario.FindDevice(id) is { } same && ReferenceEquals(same.Kind, kind))
        {
            return same;
        }

        // Round-robin over the scenario's devices of the kind, so a large fleet reads varied sensors.
        var ofKind = scenario.Devices.Where(d => ReferenceEquals(d.Kind, kind)).ToList();
        if (ofKind.Count == 0)
        {
            throw new EdgeConfigurationException($"{where}: the {scenario.Name} scenario has no {kind.Id} to simulate");
        }

        var next = nextOfKind.GetValueOrDefault(kind);
        nextOfKind[kind] = next + 1;
        return ofKind[next % ofKind.Count];
    }

    private static DeviceSettings DefaultSettings(CityScenario scenario, DeviceSpec simulated)
    {
        var settings = new DeviceSettings();
        if (ReferenceEquals(simulated.Kind, DeviceKinds.RiverGauge) && simulated.Thresholds is { } thresholds)
        {
            return settings with { Standby = thresholds.Standby, FloodDanger = thresholds.FloodDanger };
        }

        if (ReferenceEquals(simulated.Kind, DeviceKinds.Manhole))
        {
            foreach (var district in scenario.SewerDistricts)
            {
                foreach (var manhole in district.Manholes)
                {
                    if (string.Equals(manhole.DeviceId, simulated.Id, StringComparison.Ordinal))
                    {
                        return settings with { SewerAlarmLevel = Math.Round(0.8 * manhole.PipeDiameter, 3) };
                    }
                }
            }

            return settings;
        }

        // Poles, cars and detectors report every minute; they have no fast mode.
        return settings with { NormalInterval = TimeSpan.FromMinutes(1), FastInterval = TimeSpan.FromMinutes(1) };
    }

    private static List<string> NearbyGauges(string poleId, DeviceSpec pole, JsonElement json, List<(EdgeDeviceOptions Options, DeviceSpec Simulated, JsonElement Json)> entries)
    {
        var gauges = new List<string>();
        if (json.TryGetProperty("nearbyGauges", out var listed))
        {
            if (listed.ValueKind != JsonValueKind.Array)
            {
                throw new EdgeConfigurationException($"device '{poleId}': nearbyGauges must be an array of gauge ids of this agent");
            }

            foreach (var item in listed.EnumerateArray())
            {
                var gaugeId = item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText();
                if (!entries.Exists(e => string.Equals(e.Options.DeviceId, gaugeId, StringComparison.Ordinal) && ReferenceEquals(e.Options.Sensor.Kind, DeviceKinds.RiverGauge)))
                {
                    throw new EdgeConfigurationException($"device '{poleId}': nearbyGauges names '{gaugeId}', which is not a river gauge of this agent");
                }

                gauges.Add(gaugeId);
            }

            return gauges;
        }

        var here = new GeoPoint(pole.Latitude, pole.Longitude);
        foreach (var (options, simulated, _) in entries)
        {
            if (ReferenceEquals(options.Sensor.Kind, DeviceKinds.RiverGauge) && here.DistanceKm(new GeoPoint(simulated.Latitude, simulated.Longitude)) <= NearbyGaugeKm)
            {
                gauges.Add(options.DeviceId);
            }
        }

        return gauges;
    }

    private static JsonElement? Object(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object ? value : throw new EdgeConfigurationException($"{name} must be a JSON object");
    }

    private static string? String(JsonElement parent, string where, string name)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new EdgeConfigurationException($"{where} must be a string, was {value.GetRawText()}");
    }

    private static double? Number(JsonElement parent, string where, string name, double min, double max)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            throw new EdgeConfigurationException($"{where} must be a number, was {value.GetRawText()}");
        }

        if (number < min || number > max)
        {
            throw new EdgeConfigurationException($"{where} must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, was {number.ToString(CultureInfo.InvariantCulture)}");
        }

        return number;
    }

    private static TimeSpan? Seconds(JsonElement parent, string where, string name) =>
        Number(parent, where, name, 0.1, 86_400) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
}
