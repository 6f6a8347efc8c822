using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using IotHub.City;

namespace IotHub.CitySim;

/// <summary>
/// A fleet run: N devices of the city, hosted by real edge agent processes (<c>IotHub.Edge run</c>),
/// a few thousand per process, each device with its own MQTT session, disk queue entries and
/// batch acknowledgements, exactly as deployed agents run. Devices mirror the scenario's devices
/// in turn (so the fleet has the city's mix of kinds) under ids <c>fleet-NNNNNN</c>. Reports, every
/// few seconds and at the end, the devices the hub sees connected, the readings it stores per
/// second, and the CPU and RSS of the hub and of the agents.
/// </summary>
internal sealed class FleetRun(FleetOptions options, HubEndpoint hub, TextWriter log)
{
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(5);

    /// <summary>The fleet's devices: scenario device <c>i % count</c> under the id <c>fleet-i</c>.</summary>
    public static IReadOnlyList<(DeviceRegistrar.Registration Device, DeviceSpec Mirrors)> Devices(CityScenario scenario, int count, int seed)
    {
        var devices = new List<(DeviceRegistrar.Registration, DeviceSpec)>(count);
        for (int i = 0; i < count; i++)
        {
            var mirrors = scenario.Devices[i % scenario.Devices.Count];
            string id = string.Create(CultureInfo.InvariantCulture, $"fleet-{i:D6}");
            devices.Add((new DeviceRegistrar.Registration(id, mirrors.Kind.Id, $"{mirrors.Name} ({id})", mirrors.Tags, DeviceRegistrar.TokenFor(seed, id)), mirrors));
        }

        return devices;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (hub.Mqtt is null)
        {
            throw new ArgumentException("--mqtt: give the hub's MQTT URL, or --hub-data DIR with its endpoints.json.");
        }

        if (!File.Exists(options.AgentDll))
        {
            throw new ArgumentException($"--agent-dll: {options.AgentDll} does not exist (build edge/IotHub.Edge first).");
        }

        var devices = Devices(options.Scenario, options.Devices, options.Seed);
        Directory.CreateDirectory(options.WorkDirectory);
        var registering = Stopwatch.StartNew();
        await DeviceRegistrar.RegisterAsync(hub, devices.Select(d => d.Device).ToList(), n => log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  registered {n:N0}")), cancellationToken);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"registered {devices.Count:N0} devices in {registering.Elapsed.TotalSeconds:N1} s; starting {AgentCount(devices.Count):N0} agent processes of up to {options.DevicesPerAgent:N0} devices, sampling every {options.Interval.TotalSeconds:N0} s"));

        using var http = new HttpClient { BaseAddress = hub.Http, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", hub.AdminToken);
        var hubStats = options.HubPid > 0 ? new ProcessStats(options.HubPid) : null;
        var agents = new List<(Process Process, ProcessStats Stats, string Log)>();
        try
        {
            int index = 0;
            foreach (var group in devices.Chunk(options.DevicesPerAgent))
            {
                agents.Add(StartAgent(index++, group));
            }

            return await WatchAsync(http, hubStats, agents, devices.Count, cancellationToken);
        }
        finally
        {
            await StopAsync(agents);
        }
    }

    private int AgentCount(int devices) => (devices + options.DevicesPerAgent - 1) / options.DevicesPerAgent;

    private (Process, ProcessStats, string) StartAgent(int index, (DeviceRegistrar.Registration Device, DeviceSpec Mirrors)[] group)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"agent-{index:D3}");
        string config = Path.Combine(options.WorkDirectory, name + ".json");
        string logPath = Path.Combine(options.WorkDirectory, name + ".log");
        WriteConfig(config, name, group);
        var start = new ProcessStartInfo("/bin/sh")
        {
            // exec: the shell becomes the agent, so its pid is the agent's (for CPU, RSS and SIGTERM).
            ArgumentList = { "-c", "exec dotnet \"$0\" run --config \"$1\" > \"$2\" 2>&1", options.AgentDll, config, logPath },
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + options.AgentDll);
        return (process, new ProcessStats(process.Id), logPath);
    }

    private void WriteConfig(string path, string name, (DeviceRegistrar.Registration Device, DeviceSpec Mirrors)[] group)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        double seconds = options.Interval.TotalSeconds;
        json.WriteStartObject();
        json.WriteString("hub", hub.Mqtt!.ToString());
        json.WriteStartObject("queue");
        json.WriteString("path", name + "-queue.db");
        json.WriteNumber("maxMegabytes", 64);
        json.WriteEndObject();
        json.WriteStartObject("simulation");
        json.WriteString("scenario", "tokyo");
        json.WriteNumber("seed", options.Seed);
        json.WriteEndObject();
        json.WriteStartObject("sampling");
        json.WriteNumber("normalIntervalSeconds", seconds);
        json.WriteNumber("fastIntervalSeconds", Math.Min(seconds, 60));
        json.WriteEndObject();
        json.WriteStartArray("devices");
        foreach (var (device, mirrors) in group)
        {
            json.WriteStartObject();
            json.WriteString("id", device.Id);
            json.WriteString("kind", device.Kind);
            json.WriteString("token", device.Token);
            json.WriteString("simulate", mirrors.Id);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private async Task<int> WatchAsync(HttpClient http, ProcessStats? hubStats, List<(Process Process, ProcessStats Stats, string Log)> agents, int expected, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var connectDeadline = options.ConnectTimeout;
        TimeSpan? allConnectedAt = null;
        long storedAtSteady = 0;
        double hubCpuAtSteady = double.NaN;
        double agentCpuAtSteady = double.NaN;
        long lastStored = 0;
        var lastAt = clock.Elapsed;
        int peakConnected = 0;
        double peakAgentRss = 0;
        while (true)
        {
            await Task.Delay(ReportEvery, cancellationToken);
            var now = clock.Elapsed;
            var (connected, stored) = await HubCountsAsync(http, cancellationToken);
            peakConnected = Math.Max(peakConnected, connected);
            double agentRss = agents.Sum(a => Finite(a.Stats.RssMiB()));
            peakAgentRss = Math.Max(peakAgentRss, agentRss);
            double agentCpu = agents.Sum(a => Finite(a.Stats.CpuSeconds()));
            var at = DateTimeOffset.UtcNow;
            log.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {now.TotalSeconds,5:N0} s  connected {connected,7:N0}/{expected:N0}  stored {(stored - lastStored) / (now - lastAt).TotalSeconds,8:N0} values/s  hub CPU {hubStats?.CpuPercentSinceLast(at),4:N0}% RSS {hubStats?.RssMiB(),6:N0} MiB  agents RSS {agentRss,6:N0} MiB ({agents.Count(a => !a.Process.HasExited)} running)"));
            lastStored = stored;
            lastAt = now;

            if (agents.FirstOrDefault(a => a.Process.HasExited) is { Process: not null } dead)
            {
                log.WriteLine($"an agent exited with code {dead.Process.ExitCode}; its log ({dead.Log}) ends with:");
                foreach (var line in File.ReadLines(dead.Log).TakeLast(10))
                {
                    log.WriteLine("    " + line);
                }

                return 1;
            }

            if (allConnectedAt is null && (connected >= expected || now >= connectDeadline))
            {
                // Steady state starts here: measure stored values and CPU from now on.
                allConnectedAt = now;
                storedAtSteady = stored;
                hubCpuAtSteady = hubStats?.CpuSeconds() ?? double.NaN;
                agentCpuAtSteady = agentCpu;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{connected:N0} of {expected:N0} devices connected after {now.TotalSeconds:N0} s; measuring for {options.Duration.TotalSeconds:N0} s"));
            }
            else if (allConnectedAt is { } since && now - since >= options.Duration)
            {
                double seconds = (now - since).TotalSeconds;
                double hubCpu = (hubStats?.CpuSeconds() ?? double.NaN) - hubCpuAtSteady;
                log.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"summary: {expected:N0} devices in {agents.Count} edge agent processes; {connected:N0} connected at the end (peak {peakConnected:N0}); {(stored - storedAtSteady) / seconds:N0} values/s stored over {seconds:N0} s; hub CPU {hubCpu / seconds * 100:N0}% of one core, RSS {hubStats?.RssMiB():N0} MiB (peak {hubStats?.PeakRssMiB():N0} MiB); agents CPU {(agentCpu - agentCpuAtSteady) / seconds * 100:N0}% of one core, RSS {agentRss:N0} MiB in all (peak {peakAgentRss:N0} MiB, {agentRss / Math.Max(1, agents.Count):N0} MiB per agent)"));
                return connected >= expected ? 0 : 1;
            }
        }
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static async Task<(int Connected, long Stored)> HubCountsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("api/v1/stats", cancellationToken));
        var root = document.RootElement;
        return (root.GetProperty("devicesConnected").GetInt32(), root.GetProperty("pointsStored").GetInt64());
    }

    private async Task StopAsync(List<(Process Process, ProcessStats Stats, string Log)> agents)
    {
        foreach (var (process, _, _) in agents.Where(a => !a.Process.HasExited))
        {
            // SIGTERM: the agent stops sampling, closes its queue and disconnects cleanly.
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            kill?.WaitForExit();
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var (process, _, logPath) in agents)
        {
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                log.WriteLine($"agent {process.Id} did not stop within 30 s of SIGTERM; killed (log {logPath})");
                process.Kill();
            }

            process.Dispose();
        }
    }
}

/// <summary>A fleet run's shape.</summary>
/// <param name="Scenario">The city whose devices the fleet mirrors.</param>
/// <param name="Devices">Devices in all.</param>
/// <param name="DevicesPerAgent">Devices per edge agent process.</param>
/// <param name="Interval">Sampling interval of every device.</param>
/// <param name="Duration">How long to measure once every device is connected.</param>
/// <param name="ConnectTimeout">Measure from this long after the start even when not every device has connected.</param>
/// <param name="AgentDll">Path of the built <c>IotHub.Edge.dll</c>.</param>
/// <param name="WorkDirectory">Where agent configs, logs and disk queues go.</param>
/// <param name="Seed">Seed of the simulation and of the device tokens.</param>
/// <param name="HubPid">Process id of the hub, to report its CPU and RSS; 0: not reported.</param>
internal sealed record FleetOptions(
    CityScenario Scenario,
    int Devices,
    int DevicesPerAgent,
    TimeSpan Interval,
    TimeSpan Duration,
    TimeSpan ConnectTimeout,
    string AgentDll,
    string WorkDirectory,
    int Seed,
    int HubPid);
