#:project ../../hub/IotHub.Storage/IotHub.Storage.csproj
#:project ../../simulators/IotHub.Simulators/IotHub.Simulators.csproj

// Store load and comparison runs (issue 4). Usage (from the repository root):
//   dotnet run benchmarks/store/StoreCompare.cs -c Release -- ingest [seconds] [series] [pointsPerSeriesPerWrite] [writers]
//   dotnet run benchmarks/store/StoreCompare.cs -c Release -- compare <victoria-metrics base URL> <vm storageDataPath> [days]
// benchmarks/store/compare.sh starts victoria-metrics on a free loopback port and runs both.
using System.Diagnostics;
using System.Globalization;
using IotHub.City;
using IotHub.Simulators;
using IotHub.Storage;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

var mode = args.Length > 0 ? args[0] : "ingest";
return mode switch
{
    "ingest" => await Ingest.RunAsync(args),
    "compare" => await Compare.RunAsync(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ingest [seconds] [series] [points per series per write] [writers] | compare <vm url> <vm data dir> [days]");
    return 2;
}

/// <summary>Sustained ingest into the store alone through the column path, with group commit and compaction on.</summary>
internal static class Ingest
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Arg(args, 1, 30);
        var seriesCount = Arg(args, 2, 10_000);
        var perWrite = Arg(args, 3, 100);
        var writers = Arg(args, 4, 4);
        var directory = Directory.CreateTempSubdirectory("iothub-ingest-").FullName;
        try
        {
            var options = new StorageOptions { DataDirectory = directory, MaxPointsPerCommit = 1_000_000 };
            await using var store = await DuckDbStore.OpenAsync(options, NullLogger.Instance, CancellationToken.None);
            var start = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-7));
            var stopwatch = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(seconds);
            long written = 0;
            var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                // Each writer owns a slice of the series; one write = perWrite points of each of 1,000 series.
                var mine = Enumerable.Range(0, seriesCount).Where(s => s % writers == w).ToArray();
                var step = 0L;
                while (stopwatch.Elapsed < deadline)
                {
                    var columns = new List<SeriesColumns>();
                    foreach (var chunk in mine.Chunk(1000))
                    {
                        columns.Clear();
                        foreach (var s in chunk)
                        {
                            var ts = new long[perWrite];
                            var values = new double[perWrite];
                            for (var i = 0; i < perWrite; i++)
                            {
                                ts[i] = start + ((step + i) * 1_000_000_000L);
                                values[i] = Math.Round(1.5 + Math.Sin((step + i + s) / 100.0), 2);
                            }

                            columns.Add(new SeriesColumns("load", [new("device", "d" + s.ToString(CultureInfo.InvariantCulture))], "v", ts, values, perWrite));
                        }

                        await store.WriteColumnsAsync(columns, CancellationToken.None);
                        Interlocked.Add(ref written, (long)chunk.Length * perWrite);
                    }

                    step += perWrite;
                }
            })).ToArray();
            await Task.WhenAll(tasks);
            var elapsed = stopwatch.Elapsed.TotalSeconds;
            Console.WriteLine(FormattableString.Invariant($"ingest: {written:N0} points in {elapsed:F1} s = {written / elapsed:N0} points/s; {store.Commits} commits, {store.Compactions} compactions; {seriesCount} series, {perWrite} points per series per write, {writers} writers"));
            Console.WriteLine(FormattableString.Invariant($"rows stored: {await store.CountRowsAsync(CancellationToken.None):N0}"));
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    internal static int Arg(string[] args, int index, int fallback) =>
        args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
}

/// <summary>The city's data loaded into the embedded store and into victoria-metrics in the same run; size and query latency ratios.</summary>
internal static class Compare
{
    private const int Repeats = 15;

    public static async Task<int> RunAsync(string[] args)
    {
        var vmUrl = new Uri(args[1]);
        var vmData = args[2];
        var days = Ingest.Arg(args, 3, 30);
        var scenario = CityScenario.Default;
        var end = new DateTimeOffset(DateTimeOffset.UtcNow.Year, DateTimeOffset.UtcNow.Month, DateTimeOffset.UtcNow.Day, 0, 0, 0, TimeSpan.Zero);
        var start = end.AddDays(-days);
        var simulation = new CitySimulation(scenario, 42, start);
        var directory = Directory.CreateTempSubdirectory("iothub-compare-").FullName;
        var duck = await DuckDbStore.OpenAsync(new StorageOptions { DataDirectory = directory, MaxPointsPerCommit = 1_000_000 }, NullLogger.Instance, CancellationToken.None);
        var vm = new VictoriaMetricsStore(new RemoteStoreOptions { WriteUrl = vmUrl, QueryUrl = vmUrl, BatchPoints = 50_000 }, NullLogger.Instance);
        Console.WriteLine(FormattableString.Invariant($"city: {scenario.Devices.Count} devices; {days} days from {start:yyyy-MM-dd}"));

        // Readings: each device every report interval of its kind; river gauges every minute while it rains on them.
        long points = 0;
        var next = scenario.Devices.ToDictionary(d => d.Id, _ => start);
        var load = Stopwatch.StartNew();
        var pending = new List<Point>();
        var writes = new List<Task>();
        for (var now = start; now < end; now = now.AddMinutes(1))
        {
            simulation.AdvanceTo(now);
            foreach (var device in scenario.Devices)
            {
                var storm = device.Thresholds is not null && simulation.RainAt(new GeoPoint(device.Latitude, device.Longitude)) > 5;
                if (now < next[device.Id] && !storm)
                {
                    continue;
                }

                next[device.Id] = now + device.Kind.ReportInterval;
                var fields = new List<KeyValuePair<string, FieldValue>>();
                foreach (var (name, value) in simulation.Read(device.Id))
                {
                    fields.Add(new(name, value switch
                    {
                        double d => FieldValue.FromFloat(d),
                        long l => FieldValue.FromInteger(l),
                        bool b => FieldValue.FromBoolean(b),
                        _ => FieldValue.FromString(value.ToString() ?? ""),
                    }));
                }

                // Strings are not numbers VictoriaMetrics can keep: both stores get the numeric fields only.
                fields.RemoveAll(f => f.Value.Kind == FieldKind.String);
                if (fields.Count == 0)
                {
                    continue;
                }

                pending.Add(new Point(device.Kind.Measurement, [new("device", device.Id)], fields, TimeUnits.FromDateTimeOffset(now)));
                points += fields.Count;
            }

            if (pending.Count >= 20_000)
            {
                var batch = pending;
                pending = [];
                writes.Add(duck.WriteAsync(batch, CancellationToken.None));
                writes.Add(vm.WriteAsync(batch, CancellationToken.None));
                if (writes.Count > 16)
                {
                    await Task.WhenAll(writes);
                    writes.Clear();
                }
            }
        }

        writes.Add(duck.WriteAsync(pending, CancellationToken.None));
        writes.Add(vm.WriteAsync(pending, CancellationToken.None));
        await Task.WhenAll(writes);
        Console.WriteLine(FormattableString.Invariant($"loaded {points:N0} points ({duck.Series.Count:N0} series) into both in {load.Elapsed.TotalSeconds:F0} s"));

        // Sizes: the embedded store compacted and checkpointed; victoria-metrics flushed and given time to merge.
        await duck.CompactAsync(CancellationToken.None);
        await duck.CheckpointAsync(CancellationToken.None);
        using var http = new HttpClient { BaseAddress = vmUrl };
        (await http.GetAsync(new Uri("/internal/force_flush", UriKind.Relative))).EnsureSuccessStatusCode();
        (await http.GetAsync(new Uri("/internal/force_merge", UriKind.Relative))).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(20));
        var duckBytes = DirectoryBytes(directory);
        var vmBytes = DirectoryBytes(vmData);
        Console.WriteLine(FormattableString.Invariant($"bytes/point: iothub {duckBytes / (double)points:F3} ({duckBytes:N0} B), victoria-metrics {vmBytes / (double)points:F3} ({vmBytes:N0} B), ratio {duckBytes / (double)vmBytes:F3}"));

        // Query 1: last value of 10,000 series (or every series when the city has fewer).
        var all = duck.GetLatest().Select(l => l.Series).OrderBy(s => s.Id).Take(10_000).ToList();
        var measurements = all.Select(s => s.Measurement).Distinct().ToList();
        var vmSelector = "{__name__=~\"(" + string.Join("|", measurements) + ")_.*\"}";
        var endNs = TimeUnits.FromDateTimeOffset(end);
        var duckLatest = await TimeAsync(() => Task.FromResult(measurements.Sum(m => duck.GetLatest(m, null, new Dictionary<string, string>()).Count)));
        var vmLatest = await TimeAsync(() => vm.CountLatestAsync(vmSelector, TimeSpan.FromDays(2), CancellationToken.None));
        Report($"last value of {duckLatest.Count:N0} series (vm: {vmLatest.Count:N0})", duckLatest.Median, vmLatest.Median);

        // Query 2: one river gauge, one day in 1-minute buckets.
        var gauge = scenario.Devices.First(d => d.Thresholds is not null);
        var river = gauge.Kind.Measurement;
        var oneDay = new SeriesQuery(river, "level", new Dictionary<string, string> { ["device"] = gauge.Id }, endNs - (24 * 3_600_000_000_000L), endNs, 60_000_000_000L, Aggregate.Mean, 100_000);
        var duckDay = await TimeAsync(async () => (await duck.QueryAsync(oneDay, CancellationToken.None)).Sum(s => s.Points.Count));
        var vmDay = await TimeAsync(async () => (await vm.QueryAsync(oneDay, CancellationToken.None)).Sum(s => s.Points.Count));
        Report($"one series, one day in 1-min buckets ({duckDay.Count} / {vmDay.Count} buckets)", duckDay.Median, vmDay.Median);

        // Query 3: every river gauge, 30 days in 1-hour buckets.
        var month = new SeriesQuery(river, "level", new Dictionary<string, string>(), endNs - (days * 24 * 3_600_000_000_000L), endNs, 3_600_000_000_000L, Aggregate.Mean, 1_000_000);
        var duckMonth = await TimeAsync(async () => (await duck.QueryAsync(month, CancellationToken.None)).Sum(s => s.Points.Count));
        var vmMonth = await TimeAsync(async () => (await vm.QueryAsync(month, CancellationToken.None)).Sum(s => s.Points.Count));
        Report($"every river gauge, {days} days in 1-h buckets ({duckMonth.Count} / {vmMonth.Count} buckets)", duckMonth.Median, vmMonth.Median);

        await vm.DisposeAsync();
        await duck.DisposeAsync();
        Directory.Delete(directory, recursive: true);
        return 0;
    }

    private static void Report(string name, TimeSpan duck, TimeSpan vm) =>
        Console.WriteLine(FormattableString.Invariant($"{name}: iothub {duck.TotalMilliseconds:F2} ms, victoria-metrics {vm.TotalMilliseconds:F2} ms, ratio {duck.TotalMilliseconds / vm.TotalMilliseconds:F3}"));

    private static async Task<(TimeSpan Median, int Count)> TimeAsync(Func<Task<int>> query)
    {
        var count = await query();
        var times = new List<TimeSpan>();
        for (var i = 0; i < Repeats; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await query();
            times.Add(stopwatch.Elapsed);
        }

        times.Sort();
        return (times[times.Count / 2], count);
    }

    private static long DirectoryBytes(string path) =>
        new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
