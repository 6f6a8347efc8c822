using System.CommandLine;
using System.Globalization;
using IotHub.City;
using IotHub.CitySim;
using IotHub.Simulators;

var scenarioOption = new Option<string>("--scenario")
{
    Description = "The city: 'default' (Tokyo-like), 'demo', or the path of a scenario file",
    DefaultValueFactory = _ => "default",
};
var seedOption = new Option<int>("--seed")
{
    Description = "Seed of the simulation: the same seed (and start) gives the same data",
    DefaultValueFactory = _ => 42,
};
var hubOption = new Option<string?>("--hub") { Description = "The hub's HTTP URL, e.g. http://127.0.0.1:8080" };
var mqttOption = new Option<string?>("--mqtt") { Description = "The hub's MQTT URL, e.g. mqtt://127.0.0.1:1883" };
var tokenOption = new Option<string?>("--token") { Description = "The hub's admin token" };
var hubDataOption = new Option<string?>("--hub-data") { Description = "The hub's data folder: URLs from endpoints.json and the token from admin.json fill what is not given" };

var root = new RootCommand("IotHub city simulator: scenario files, history backfill, live and accelerated runs, ground truth, load runs");

// scenario export / check
var outOption = new Option<string?>("--out") { Description = "File to write (default: standard output)" };
var export = new Command("export", "Write a scenario as a scenario file (JSON)") { scenarioOption, outOption };
export.SetAction(parse =>
{
    var scenario = CityScenarioFile.Resolve(parse.GetValue(scenarioOption)!);
    var bytes = CityScenarioFile.ToUtf8Json(scenario);
    if (parse.GetValue(outOption) is { } path)
    {
        File.WriteAllBytes(path, bytes);
        Console.Error.WriteLine($"{scenario.Name}: {scenario.Devices.Count} devices written to {path}");
    }
    else
    {
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(bytes);
    }

    return 0;
});
var fileArgument = new Argument<string>("file") { Description = "The scenario file" };
var check = new Command("check", "Check a scenario file; every mistake is reported with the path of its field") { fileArgument };
check.SetAction(parse =>
{
    var scenario = CityScenarioFile.Load(parse.GetValue(fileArgument)!);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scenario.Name}: ok, {scenario.Devices.Count} devices ({string.Join(", ", DeviceKinds.All.Select(k => $"{scenario.Devices.Count(d => d.Kind == k)} {k.Id}"))})"));
    return 0;
});
root.Subcommands.Add(new Command("scenario", "Scenario files") { export, check });

// backfill
var daysOption = new Option<double>("--days") { Description = "Days of history to write", DefaultValueFactory = _ => 90 };
var endOption = new Option<string?>("--end") { Description = "End of the history, UTC (ISO 8601, e.g. 2025-10-01); default: today 00:00 UTC, so runs on one day agree" };
var batchOption = new Option<int>("--batch-mb") { Description = "Uncompressed line protocol per request, MiB (the hub takes at most 32)", DefaultValueFactory = _ => 8 };
var concurrencyOption = new Option<int>("--concurrency") { Description = "Requests in flight at once", DefaultValueFactory = _ => 3 };
var gzipOption = new Option<bool>("--gzip") { Description = "Compress request bodies with gzip", DefaultValueFactory = _ => true };
var dryRunOption = new Option<bool>("--dry-run") { Description = "Generate and compress but send nothing (measures the generator)" };
var backfill = new Command("backfill", "Write months of the city's history into the hub as fast as it ingests (line protocol over HTTP)")
{
    hubOption, tokenOption, hubDataOption, scenarioOption, seedOption, daysOption, endOption, batchOption, concurrencyOption, gzipOption, dryRunOption,
};
batchOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 30)
    {
        r.AddError("--batch-mb must be 1..30 (the hub accepts bodies up to 32 MiB).");
    }
});
backfill.SetAction(async (parse, cancellationToken) =>
{
    var scenario = CityScenarioFile.Resolve(parse.GetValue(scenarioOption)!);
    var end = ParseTime(parse.GetValue(endOption)) ?? new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
    var start = FloorToMinute(end - TimeSpan.FromDays(parse.GetValue(daysOption)));
    bool dryRun = parse.GetValue(dryRunOption);
    var hub = dryRun ? null : HubEndpoint.Resolve(parse.GetValue(hubOption), null, parse.GetValue(tokenOption), parse.GetValue(hubDataOption));
    var options = new BackfillOptions(scenario, parse.GetValue(seedOption), start, FloorToMinute(end), parse.GetValue(batchOption) << 20, parse.GetValue(concurrencyOption), parse.GetValue(gzipOption), "iothub", dryRun);
    return await new Backfill(options, hub, Console.Out).RunAsync(cancellationToken);
});
root.Subcommands.Add(backfill);

// run
var speedOption = new Option<double>("--speed") { Description = "Simulated seconds per real second: 1 = live, 60 = an hour a minute", DefaultValueFactory = _ => 1 };
var startOption = new Option<string?>("--start") { Description = "Simulated start, UTC; default: now when live, else early enough that --duration (or one day) ends now" };
var durationOption = new Option<string?>("--duration") { Description = "Simulated time to run (90s, 10m, 2h, 7d); default: until stopped" };
var run = new Command("run", "Run the city live or accelerated: every device registers, connects over MQTT and publishes")
{
    hubOption, mqttOption, tokenOption, hubDataOption, scenarioOption, seedOption, speedOption, startOption, durationOption,
};
speedOption.Validators.Add(r =>
{
    if (!(r.GetValueOrDefault<double>() is >= 1 and <= 100_000))
    {
        r.AddError("--speed must be between 1 and 100000.");
    }
});
run.SetAction(async (parse, cancellationToken) =>
{
    var scenario = CityScenarioFile.Resolve(parse.GetValue(scenarioOption)!);
    double speed = parse.GetValue(speedOption);
    var duration = ParseDuration(parse.GetValue(durationOption), "--duration");
    var now = FloorToMinute(DateTimeOffset.UtcNow);
    var start = ParseTime(parse.GetValue(startOption)) is { } given ? FloorToMinute(given)
        : speed <= 1 ? now
        : now - (duration ?? TimeSpan.FromDays(1));
    var hub = HubEndpoint.Resolve(parse.GetValue(hubOption), parse.GetValue(mqttOption), parse.GetValue(tokenOption), parse.GetValue(hubDataOption));
    return await new LiveRun(scenario, parse.GetValue(seedOption), speed, start, duration, hub, Console.Out).RunAsync(cancellationToken);
});
root.Subcommands.Add(run);

// export-truth
var truthStartOption = new Option<string?>("--start") { Description = "First minute, UTC; default: --days before today 00:00 UTC (as backfill)" };
var truthDaysOption = new Option<double>("--days") { Description = "Days to export", DefaultValueFactory = _ => 90 };
var truthEndOption = new Option<string?>("--end") { Description = "End, UTC; default: today 00:00 UTC (as backfill)" };
var stepOption = new Option<string>("--step") { Description = "Time between rows", DefaultValueFactory = _ => "1m" };
var truthOutOption = new Option<string?>("--out") { Description = "CSV file to write (default: standard output)" };
var exportTruth = new Command("export-truth", "Write the ground truth: noise-free level and catchment rain of every river gauge, per step, as CSV")
{
    scenarioOption, seedOption, truthStartOption, truthDaysOption, truthEndOption, stepOption, truthOutOption,
};
exportTruth.SetAction(parse =>
{
    var scenario = CityScenarioFile.Resolve(parse.GetValue(scenarioOption)!);
    var end = FloorToMinute(ParseTime(parse.GetValue(truthEndOption)) ?? new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero));
    var start = ParseTime(parse.GetValue(truthStartOption)) is { } given ? FloorToMinute(given) : FloorToMinute(end - TimeSpan.FromDays(parse.GetValue(truthDaysOption)));
    var step = ParseDuration(parse.GetValue(stepOption), "--step") ?? TimeSpan.FromMinutes(1);
    using var output = parse.GetValue(truthOutOption) is { } path
        ? new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false), 1 << 16)
        : new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
    long rows = GroundTruth.WriteRiverLevelsCsv(output, scenario, parse.GetValue(seedOption), start, end, step);
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rows:N0} rows, {start:yyyy-MM-dd HH:mm}Z to {end:yyyy-MM-dd HH:mm}Z"));
    return 0;
});
root.Subcommands.Add(exportTruth);

// load
var devicesOption = new Option<int>("--devices") { Description = "Simulated devices, each with its own MQTT connection", DefaultValueFactory = _ => 1000 };
var intervalOption = new Option<string>("--interval") { Description = "How often each device publishes", DefaultValueFactory = _ => "10s" };
var loadDurationOption = new Option<string>("--duration") { Description = "How long to publish once connected", DefaultValueFactory = _ => "60s" };
var connectConcurrencyOption = new Option<int>("--connect-concurrency") { Description = "Connection attempts in flight at once", DefaultValueFactory = _ => 500 };
var perAddressOption = new Option<int>("--per-address") { Description = "Connections per loopback source address 127.0.0.x (ephemeral ports per address: see /proc/sys/net/ipv4/ip_local_port_range)", DefaultValueFactory = _ => 20_000 };
var hubPidOption = new Option<int>("--hub-pid") { Description = "Process id of the hub, to report its CPU and RSS" };
var noRegisterOption = new Option<bool>("--no-register") { Description = "Do not register the devices (they are registered already, from an earlier run with the same seed)" };
var load = new Command("load", "Start N simulated devices that connect at once and publish; report connected, msgs/s, hub CPU and RSS")
{
    hubOption, mqttOption, tokenOption, hubDataOption, devicesOption, intervalOption, loadDurationOption, connectConcurrencyOption, perAddressOption, hubPidOption, noRegisterOption, seedOption,
};
devicesOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 1_000_000)
    {
        r.AddError("--devices must be 1..1000000.");
    }
});
load.SetAction(async (parse, cancellationToken) =>
{
    int devices = parse.GetValue(devicesOption);
    int seed = parse.GetValue(seedOption);
    var options = new LoadOptions(
        devices,
        ParseDuration(parse.GetValue(intervalOption), "--interval") ?? TimeSpan.FromSeconds(10),
        ParseDuration(parse.GetValue(loadDurationOption), "--duration") ?? TimeSpan.FromSeconds(60),
        Math.Max(1, parse.GetValue(connectConcurrencyOption)),
        parse.GetValue(perAddressOption),
        seed,
        parse.GetValue(hubPidOption),
        !parse.GetValue(noRegisterOption));
    var hub = HubEndpoint.Resolve(parse.GetValue(hubOption), parse.GetValue(mqttOption), parse.GetValue(tokenOption), parse.GetValue(hubDataOption));
    return await new LoadRun(options, hub, Console.Out).RunAsync(cancellationToken);
});
root.Subcommands.Add(load);

// fleet
var fleetDevicesOption = new Option<int>("--devices") { Description = "Devices in all, mirroring the default city's devices in turn", DefaultValueFactory = _ => 10_000 };
var perAgentOption = new Option<int>("--per-agent") { Description = "Devices per edge agent process", DefaultValueFactory = _ => 1_000 };
var fleetIntervalOption = new Option<string>("--interval") { Description = "Sampling interval of every device", DefaultValueFactory = _ => "10s" };
var fleetDurationOption = new Option<string>("--duration") { Description = "How long to measure once every device is connected", DefaultValueFactory = _ => "60s" };
var connectTimeoutOption = new Option<string>("--connect-timeout") { Description = "Start measuring after this long even if not every device has connected", DefaultValueFactory = _ => "180s" };
var agentDllOption = new Option<string>("--agent-dll") { Description = "Path of the built IotHub.Edge.dll", Required = true };
var workOption = new Option<string?>("--work") { Description = "Folder for the agents' configs, logs and disk queues (default: a new temporary folder)" };
var fleet = new Command("fleet", "Start N devices of the city as real edge agent processes (IotHub.Edge run) connected to the hub; report connected devices, stored values/s and CPU and RSS of hub and agents")
{
    hubOption, mqttOption, tokenOption, hubDataOption, fleetDevicesOption, perAgentOption, fleetIntervalOption, fleetDurationOption, connectTimeoutOption, agentDllOption, workOption, hubPidOption, seedOption,
};
fleetDevicesOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 100_000)
    {
        r.AddError("--devices must be 1..100000.");
    }
});
perAgentOption.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 10_000)
    {
        r.AddError("--per-agent must be 1..10000.");
    }
});
fleet.SetAction(async (parse, cancellationToken) =>
{
    var options = new FleetOptions(
        CityScenario.Default,
        parse.GetValue(fleetDevicesOption),
        parse.GetValue(perAgentOption),
        ParseDuration(parse.GetValue(fleetIntervalOption), "--interval") ?? TimeSpan.FromSeconds(10),
        ParseDuration(parse.GetValue(fleetDurationOption), "--duration") ?? TimeSpan.FromSeconds(60),
        ParseDuration(parse.GetValue(connectTimeoutOption), "--connect-timeout") ?? TimeSpan.FromSeconds(180),
        Path.GetFullPath(parse.GetValue(agentDllOption)!),
        parse.GetValue(workOption) is { } work ? Path.GetFullPath(work) : Directory.CreateTempSubdirectory("iothub-fleet-").FullName,
        parse.GetValue(seedOption),
        parse.GetValue(hubPidOption));
    var hub = HubEndpoint.Resolve(parse.GetValue(hubOption), parse.GetValue(mqttOption), parse.GetValue(tokenOption), parse.GetValue(hubDataOption));
    Console.WriteLine($"fleet work folder: {options.WorkDirectory}");
    return await new FleetRun(options, hub, Console.Out).RunAsync(cancellationToken);
});
root.Subcommands.Add(fleet);

try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ScenarioFileException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}
catch (Exception ex) when (ex is ArgumentException or IOException or HttpRequestException or UnauthorizedAccessException)
{
    await Console.Error.WriteLineAsync("error: " + ex.Message);
    return 2;
}

static DateTimeOffset? ParseTime(string? text) =>
    text is null ? null
    : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time
    : throw new ArgumentException($"'{text}' is not a time (ISO 8601, e.g. 2025-10-01T00:00Z).");

static TimeSpan? ParseDuration(string? text, string option) =>
    text is null ? null
    : Durations.TryParse(text, out var duration) ? duration
    : throw new ArgumentException($"{option}: '{text}' is not a duration (90s, 10m, 2h, 7d).");

static DateTimeOffset FloorToMinute(DateTimeOffset time) =>
    new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
