#:project ../../hub/IotHub.Storage/IotHub.Storage.csproj
#:project ../../simulators/IotHub.Simulators/IotHub.Simulators.csproj

// Store load and comparison runs (issue 4). Usage (from the repository root):
//   dotnet run benchmarks/store/StoreCompare.cs -c Release -- ingest [seconds] [series] [pointsPerSeriesPerWrite] [writers] [seconds between a series' points]
//   dotnet run benchmarks/store/StoreCompare.cs -c Release -- load <victoria-metrics base URL> <store folder> [days]
//   dotnet run benchmarks/store/StoreCompare.cs -c Release -- measure <victoria-metrics base URL> <vm storageDataPath> <store folder> [days]
// benchmarks/store/compare.sh starts victoria-metrics on a free loopback port and runs all three.
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
    "load" => await Compare.LoadAsync(args),
    "measure" => await Compare.MeasureAsync(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ingest [seconds] [series] [points per series per write] [writers] [cadence s] | load <vm url> <store dir> [days] | measure <vm url> <vm data dir> <store dir> [days]");
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
        var cadenceSeconds = Arg(args, 5, 1);
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
                                ts[i] = start + ((step + i) * cadenceSeconds * 1_000_000_000L);
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
            Console.WriteLine(FormattableString.Invariant($"ingest: {written:N0} points in {elapsed:F1} s = {written / elapsed:N0} points/s; {store.Commits} commits, {store.Compactions} compactions; {seriesCount} series, {perWrite} points per series per write, {writers} writers, a point every {cadenceSeconds} s"));
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

/// <summary>
/// The city's data loaded into the embedded store and into victoria-metrics (<c>load</c>), then,
/// from disk, bytes per point and query latency ratios (<c>measure</c>). compare.sh runs the load
/// under the shared CPU lock and the measurement under the exclusive one.
/// </summary>
internal static class Compare
{
    private const int Repeats = 15;
    private const int FleetSeries = 10_000;

    public static async Task<int> LoadAsync(string[] args)
    {
        var vmUrl = new Uri(args[1]);
        var directory = args[2];
        var days = Ingest.Arg(args, 3, 30);
        var scenario = CityScenario.Default;
        var (start, end) = Range(days);
        var simulation = new CitySimulation(scenario, 42, start);
        var duck = await DuckDbStore.OpenAsync(new StorageOptions { DataDirectory = directory, MaxPointsPerCommit = 1_000_000 }, NullLogger.Instance, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = vmUrl, Timeout = TimeSpan.FromMinutes(5) };
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
                writes.Add(WriteBothAsync(duck, http, pending));
                pending = [];
                if (writes.Count > 4)
                {
                    await Task.WhenAll(writes);
                    writes.Clear();
                }
            }
        }

        writes.Add(WriteBothAsync(duck, http, pending));
        await Task.WhenAll(writes);
        Console.WriteLine(FormattableString.Invariant($"loaded {points:N0} points ({duck.Series.Count:N0} series) into both in {load.Elapsed.TotalSeconds:F0} s"));
        // The store as a running hub has it: no final CompactAsync; its own compaction (row threshold,
        // or CompactionInterval after the last one) seals what the backfill left raw, as it would
        // while live writes go on, and once idle (a CompactionInterval without writes) it merges the
        // parts of its spans in progress and copies itself to a fresh file if the file grew since
        // its last copy (kept if smaller). Checkpointed; every file in the data directory counts.
        await duck.CheckpointAsync(CancellationToken.None);
        var wait = Stopwatch.StartNew();
        var leftRaw = duck.RawRows;
        var (copies, swaps) = (duck.FileCopies, duck.FileSwaps);
        while ((duck.RawRows > 0 || duck.FileCopies == copies) && wait.Elapsed < TimeSpan.FromMinutes(4))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await duck.CheckpointAsync(CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant($"{duck.Compactions} compactions during the backfill, {swaps} of {copies} file copies kept; {leftRaw:N0} raw rows after it, {duck.RawRows:N0} after {wait.Elapsed.TotalSeconds:F0} s of the store running idle, {duck.FileSwaps - swaps} of {duck.FileCopies - copies} file copies kept meanwhile"));
        // Counted: the DuckDB file and its WAL, and of the ingest log what is not applied to DuckDB
        // yet (its segments' applied records are listed, not counted: the log deletes a segment
        // once applied and full).
        var running = DuckDbBytes(directory) + duck.IngestLogBacklogBytes;
        Console.WriteLine(FormattableString.Invariant($"open store: {running:N0} B ({running / (double)points:F3} B/point) counted, {duck.IngestLogBacklogBytes:N0} B of it ingest log not applied; files: {string.Join(", ", new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Select(f => FormattableString.Invariant($"{Path.GetRelativePath(directory, f.FullName)} {f.Length:N0}")))}"));
        Console.WriteLine("open store file: " + await duck.DescribeFileAsync(CancellationToken.None));
        await duck.DisposeAsync();
        Console.WriteLine(FormattableString.Invariant($"store after close: {DuckDbBytes(directory):N0} B ({DuckDbBytes(directory) / (double)points:F3} B/point) in the DuckDB files; {DirectoryBytes(directory):N0} B in the directory"));
        await File.WriteAllTextAsync(Path.Combine(directory, "points.txt"), FormattableString.Invariant($"{points} {running}"));
        return 0;
    }

    public static async Task<int> MeasureAsync(string[] args)
    {
        var vmUrl = new Uri(args[1]);
        var vmData = args[2];
        var directory = args[3];
        var days = Ingest.Arg(args, 4, 30);
        var loaded = (await File.ReadAllTextAsync(Path.Combine(directory, "points.txt"))).Split(' ');
        var points = long.Parse(loaded[0], CultureInfo.InvariantCulture);
        var openBytes = long.Parse(loaded[1], CultureInfo.InvariantCulture);
        var (_, end) = Range(days);
        var endNs = TimeUnits.FromDateTimeOffset(end);
        using var http = new HttpClient { BaseAddress = vmUrl };

        // Sizes: the embedded store as closed (checkpointed) by the load; victoria-metrics flushed and given time to merge.
        (await http.GetAsync(new Uri("/internal/force_flush", UriKind.Relative))).EnsureSuccessStatusCode();
        (await http.GetAsync(new Uri("/internal/force_merge", UriKind.Relative))).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(20));
        var duckBytes = DuckDbBytes(directory);
        var vmBytes = DirectoryBytes(vmData);
        Console.WriteLine(FormattableString.Invariant($"bytes/point, store open (running, checkpointed): iothub {openBytes / (double)points:F3} ({openBytes:N0} B), victoria-metrics {vmBytes / (double)points:F3} ({vmBytes:N0} B), ratio {openBytes / (double)vmBytes:F3}"));
        Console.WriteLine(FormattableString.Invariant($"bytes/point, store closed: iothub {duckBytes / (double)points:F3} ({duckBytes:N0} B), victoria-metrics {vmBytes / (double)points:F3} ({vmBytes:N0} B), ratio {duckBytes / (double)vmBytes:F3}"));

        var open = Stopwatch.StartNew();
        var duck = await DuckDbStore.OpenAsync(new StorageOptions { DataDirectory = directory }, NullLogger.Instance, CancellationToken.None);
        Console.WriteLine(FormattableString.Invariant($"store opened (latest values of {duck.GetLatest().Count:N0} series rebuilt) in {open.Elapsed.TotalSeconds:F2} s"));
        var vm = new VictoriaMetricsStore(new RemoteStoreOptions { WriteUrl = vmUrl, QueryUrl = vmUrl }, NullLogger.Instance);

        // Query 1: the last value of 10,000 series: a fleet of meters, ten readings each in the last ten minutes, written to both.
        var fleet = new List<Point>();
        for (var s = 0; s < FleetSeries; s++)
        {
            for (var m = 0; m < 10; m++)
            {
                fleet.Add(new Point("meter", [new("device", "meter-" + s.ToString("D5", CultureInfo.InvariantCulture))], [new("power", FieldValue.FromFloat(Math.Round((s % 97) + (m * 0.1), 1)))], endNs - ((10 - m) * 60_000_000_000L)));
            }
        }

        await WriteBothAsync(duck, http, fleet);
        (await http.GetAsync(new Uri("/internal/force_flush", UriKind.Relative))).EnsureSuccessStatusCode();
        var duckLatest = await TimeAsync(() => Task.FromResult(duck.GetLatest("meter", "power", new Dictionary<string, string>()).Count));
        // The fleet's readings end at midnight; the instant query runs now, so it looks back from now to before them.
        var lookback = DateTimeOffset.UtcNow - end + TimeSpan.FromHours(1);
        var vmLatest = await TimeAsync(() => vm.CountLatestAsync("{__name__=\"meter_power\"}", lookback, CancellationToken.None));
        Report($"last value of {FleetSeries:N0} series ({duckLatest.Count:N0} / {vmLatest.Count:N0} series)", duckLatest.Median, vmLatest.Median);

        // Query 2: one river gauge, one day in 1-minute buckets.
        var scenario = CityScenario.Default;
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
        return 0;
    }

    /// <summary>The same points into the embedded store and, as line protocol, into victoria-metrics.</summary>
    private static async Task WriteBothAsync(DuckDbStore duck, HttpClient vm, List<Point> points)
    {
        var duckWrite = duck.WriteAsync(points, CancellationToken.None);
        var lines = new System.Text.StringBuilder(points.Count * 96);
        foreach (var point in points)
        {
            lines.Append(point.Measurement);
            foreach (var (key, value) in point.Tags)
            {
                lines.Append(',').Append(key).Append('=').Append(value);
            }

            var first = true;
            foreach (var (name, value) in point.Fields)
            {
                lines.Append(first ? ' ' : ',').Append(name).Append('=');
                first = false;
                _ = value.Kind switch
                {
                    FieldKind.Integer => lines.Append(value.AsInteger.ToString(CultureInfo.InvariantCulture)).Append('i'),
                    FieldKind.Boolean => lines.Append(value.AsBoolean ? "true" : "false"),
                    _ => lines.Append(value.AsFloat.ToString("R", CultureInfo.InvariantCulture)),
                };
            }

            lines.Append(' ').Append((point.TimestampNs / 1_000_000).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        using var content = new StringContent(lines.ToString());
        using var response = await vm.PostAsync(new Uri("/write?precision=ms", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        await duckWrite;
    }

    private static (DateTimeOffset Start, DateTimeOffset End) Range(int days)
    {
        var end = new DateTimeOffset(DateTimeOffset.UtcNow.Year, DateTimeOffset.UtcNow.Month, DateTimeOffset.UtcNow.Day, 0, 0, 0, TimeSpan.Zero);
        return (end.AddDays(-days), end);
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

    /// <summary>The DuckDB database file and its WAL.</summary>
    private static long DuckDbBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("iothub.duckdb*").Sum(f => f.Length);

    private static long DirectoryBytes(string path) =>
        new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
