using DuckDB.NET.Data;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace IotHub.Storage.Tests;

/// <summary>Sealed blocks through the store: late writes over them, spans, retention into rollups, export, reclaiming free space.</summary>
public sealed class BlockStoreTests : IDisposable
{
    private const long Second = 1_000_000_000;
    private const long Minute = 60 * Second;
    private const long Hour = 60 * Minute;
    private const long Day = 24 * Hour;
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly long Today = TimeUnits.FromDateTimeOffset(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-blocks-").FullName;
    private readonly FakeTimeProvider _time = new(Now);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task LateWritesIntoSealedDays_RawWinsThenCompactionMergesThenReopen()
    {
        var start = Today - (3 * Day);
        var expected = new SortedDictionary<long, double>();
        await using (var store = await OpenAsync())
        {
            var points = Enumerable.Range(0, 3 * 1440).Select(i => Level("g1", start + (i * Minute), Math.Round(1 + (i % 97 * 0.01), 2))).ToList();
            await store.WriteAsync(points, CancellationToken.None);
            foreach (var point in points)
            {
                expected[point.TimestampNs] = point.Fields[0].Value.AsFloat;
            }

            Assert.Equal(3 * 1440, await store.CompactAsync(CancellationToken.None));

            // Into the sealed days: a repeat of a sealed time, a new time between two minutes, one before them all.
            await store.WriteAsync([Level("g1", start + Day, -7.5), Level("g1", start + Day + (30 * Second), 3.25), Level("g1", start - Hour, 0.5)], CancellationToken.None);
            expected[start + Day] = -7.5;
            expected[start + Day + (30 * Second)] = 3.25;
            expected[start - Hour] = 0.5;

            Assert.Equal(expected.Select(kv => (kv.Key, kv.Value)), await RawAsync(store, start - Day, Today));
            Assert.Equal(3, await store.CompactAsync(CancellationToken.None));
            Assert.Equal(expected.Select(kv => (kv.Key, kv.Value)), await RawAsync(store, start - Day, Today));
            Assert.Equal(expected.Count, await store.CountRowsAsync(CancellationToken.None));
        }

        await using var reopened = await OpenAsync();
        Assert.Equal(expected.Select(kv => (kv.Key, kv.Value)), await RawAsync(reopened, start - Day, Today));
        var latest = Assert.Single(reopened.GetLatestForDevice("g1"));
        Assert.Equal((expected.Keys.Last(), expected.Values.Last()), (latest.TimestampNs, latest.Value.AsFloat));

        // A range starting inside a day and the same series from the database (not the hot days in memory).
        var middle = start + Day + (5 * Hour);
        Assert.Equal(expected.Where(kv => kv.Key >= middle && kv.Key < middle + Hour).Select(kv => (kv.Key, kv.Value)), await RawAsync(reopened, middle, middle + Hour));
    }

    [Fact]
    public async Task SparseSeries_MultiDaySpans_EveryRangeAnswersExactly()
    {
        // A reading every 10 minutes for 20 days: blocks span several days each.
        var start = Today - (20 * Day);
        var points = Enumerable.Range(0, 20 * 144).Select(i => Level("g2", start + (i * 10 * Minute), i)).ToList();
        await using var store = await OpenAsync(new StorageOptions { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000), HotBlockDays = 5 });
        await store.WriteAsync(points, CancellationToken.None);
        await store.CompactAsync(CancellationToken.None);

        var random = new Random(5);
        for (var i = 0; i < 30; i++)
        {
            var from = start - Day + random.NextInt64(0, 22 * Day);
            var to = from + random.NextInt64(1, 9 * Day);
            var want = points.Where(p => p.TimestampNs >= from && p.TimestampNs < to).Select(p => (p.TimestampNs, p.Fields[0].Value.AsFloat));
            Assert.Equal(want, await RawAsync(store, from, to, "g2"));
        }

        Assert.Equal(points.Count, await store.CountRowsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task HotBlockBytes_CountsSealedBlocksOfTheHotDaysOnly()
    {
        // 20 days of a reading every 10 minutes in blocks of several days, the last 10 days hot:
        // the bytes held are those of the blocks starting in those days, a fraction of the points.
        var start = Today - (20 * Day);
        var points = Enumerable.Range(0, 20 * 144).Select(i => Level("g3", start + (i * 10 * Minute), i % 50)).ToList();
        await using var store = await OpenAsync(new StorageOptions { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000), HotBlockDays = 10 });
        Assert.Equal(0, store.HotBlockBytes);
        await store.WriteAsync(points, CancellationToken.None);
        await store.CompactAsync(CancellationToken.None);

        var hot = store.HotBlockBytes;
        Assert.InRange(hot, 1, 20 * 144 * 16 / 3);
        await using (var cold = await OpenAsync(new StorageOptions { DataDirectory = Path.Combine(_directory, "cold"), RetentionSweepInterval = TimeSpan.FromDays(1000), HotBlockDays = 0 }))
        {
            await cold.WriteAsync(points, CancellationToken.None);
            await cold.CompactAsync(CancellationToken.None);
            Assert.Equal(0, cold.HotBlockBytes);
        }

        // Compacting again rewrites nothing and keeps the count.
        await store.CompactAsync(CancellationToken.None);
        Assert.Equal(hot, store.HotBlockBytes);
    }

    [Fact]
    public async Task Retention_SealedPointsExpire_AnswersFromRollupRowsAndRawUnchanged()
    {
        var options = new StorageOptions { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000) };
        options.Retention["river"] = new MeasurementRetention { Raw = TimeSpan.FromDays(1) };
        await using var store = await OpenAsync(options);
        var start = TimeUnits.FromDateTimeOffset(Now) - (20 * Hour);
        var random = new Random(9);
        var points = Enumerable.Range(0, 20 * 60).Select(i => Level("g1", start + (i * Minute) + (i % 3 * Second), Math.Round(random.NextDouble() * 5, 2))).ToList();
        await store.WriteAsync(points, CancellationToken.None);
        await store.CompactAsync(CancellationToken.None);
        var queries = new List<SeriesQuery>();
        foreach (var (step, resolution) in new[] { (Minute, QueryResolution.Minute), (Hour, QueryResolution.Hour), (3 * Hour, QueryResolution.Auto) })
        {
            foreach (var aggregate in new[] { Aggregate.Mean, Aggregate.Min, Aggregate.Max, Aggregate.Sum, Aggregate.Count, Aggregate.Last })
            {
                queries.Add(new SeriesQuery("river", "level", new Dictionary<string, string>(), start - Hour, start + Day, step, aggregate, 100_000) { Resolution = resolution });
            }
        }

        var before = new List<IReadOnlyList<(long, double)>>();
        foreach (var query in queries)
        {
            before.Add(Assert.Single(await store.QueryAsync(query, CancellationToken.None)).Points);
        }

        // Ten hours later, the raw points older than (now - 1 day), hour-aligned, are expired.
        _time.Advance(TimeSpan.FromHours(10));
        var cutoff = Schema.FloorTo(TimeUnits.FromDateTimeOffset(_time.GetUtcNow()) - Day, Hour);
        var expiring = points.Count(p => p.TimestampNs < cutoff);
        Assert.True(expiring > 0 && expiring < points.Count);

        Assert.Equal(expiring, await store.ApplyRetentionAsync(CancellationToken.None));

        for (var q = 0; q < queries.Count; q++)
        {
            var after = Assert.Single(await store.QueryAsync(queries[q], CancellationToken.None)).Points;
            Assert.Equal(before[q].Select(p => p.Item1), after.Select(p => p.TimestampNs));
            Assert.Equal(before[q].Select(p => Math.Round(p.Item2, 6)), after.Select(p => Math.Round(p.Value, 6)));
        }

        var kept = points.Where(p => p.TimestampNs >= cutoff).Select(p => (p.TimestampNs, p.Fields[0].Value.AsFloat));
        Assert.Equal(kept, await RawAsync(store, start - Hour, start + Day));
        Assert.Equal(points.Count - expiring, await store.CountRowsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ExportParquetAsync_SealedAndLateRawRows_ExportsWhatQueriesSee()
    {
        var start = Today - (2 * Day);
        await using var store = await OpenAsync();
        await store.WriteAsync([.. Enumerable.Range(0, 100).Select(i => Level("g1", start + (i * Minute), i))], CancellationToken.None);
        await store.WriteAsync([new Point("pole", [new("device", "p1")], [new("signage", FieldValue.FromString("normal"))], start)], CancellationToken.None);
        await store.CompactAsync(CancellationToken.None);
        await store.WriteAsync([Level("g1", start + (10 * Minute), 1000), Level("g1", start + (200 * Minute), 5)], CancellationToken.None);
        var file = Path.Combine(_directory, "export.parquet");

        var rows = await store.ExportParquetAsync(file, start, start + Day, null, CancellationToken.None);

        Assert.Equal(102, rows);
        await using var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), sum(value), max(text), max(value) FROM read_parquet('{file}')";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(102L, Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(4950.0 - 10 + 1000 + 5, reader.GetDouble(1));
        Assert.Equal("normal", reader.GetString(2));
        Assert.Equal(1000.0, reader.GetDouble(3));
    }

    [Fact]
    public async Task Compaction_MostlyFreeFile_SwappedForASmallerCopyWhileRunning()
    {
        var path = Path.Combine(_directory, "iothub.duckdb");
        var start = Today - Day;
        await using (var store = await OpenAsync())
        {
            // 400,000 raw rows, then sealed: the blocks their rows filled are free afterwards.
            var columns = Enumerable.Range(0, 100).Select(s => new SeriesColumns(
                "river",
                [new("device", "g" + s.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                "level",
                [.. Enumerable.Range(0, 4000).Select(i => start + (i * 15 * Second))],
                [.. Enumerable.Range(0, 4000).Select(i => Math.Round(Math.Sin((i + s) / 50.0), 3))],
                4000)).ToList();
            await store.WriteColumnsAsync(columns, new UplinkBatch("g1", 41), CancellationToken.None);

            // Checkpointed before they are sealed, the raw rows take blocks of the file; a query
            // leaves a read connection open on it.
            await store.CheckpointAsync(CancellationToken.None);
            var sizeBefore = new FileInfo(path).Length;
            Assert.Equal(4000, (await RawAsync(store, start, Today, "g3")).Count);

            await store.CompactAsync(CancellationToken.None);

            Assert.True(new FileInfo(path).Length < sizeBefore * 3 / 5, $"{new FileInfo(path).Length} B after the compaction, {sizeBefore} B before");
            Assert.Contains(" 0 free,", await store.DescribeFileAsync(CancellationToken.None), StringComparison.Ordinal);
            Assert.False(File.Exists(path + ".reclaim"));
            Assert.Equal(4000, (await RawAsync(store, start, Today, "g3")).Count);
            await store.WriteAsync([Level("g200", start, 1)], CancellationToken.None);
            Assert.Equal(400_001, await store.CountRowsAsync(CancellationToken.None));
        }

        await using var reopened = await OpenAsync();
        Assert.Equal(400_001, await reopened.CountRowsAsync(CancellationToken.None));
        Assert.Equal(41UL, reopened.LastBatchSequence("g1"));
        Assert.Equal(4000, (await RawAsync(reopened, start, Today, "g7")).Count);
        Assert.Single(await RawAsync(reopened, start, Today, "g200"));
        Assert.Equal(WriteOutcome.Duplicate, await reopened.WriteAsync([Level("g1", start, 1)], new UplinkBatch("g1", 41), CancellationToken.None));
    }

    [Fact]
    public async Task IdleAfterWrites_FileGrownSinceItsLastCopy_PartsMergedAndSwappedForASmallerCopy()
    {
        // 600 series, a noisy point every 30 s today (spans in progress), written half an hour at a
        // time: every write is compacted into one more part of each span, and the checkpoints that
        // rewrite the blocks table leave partly filled blocks behind.
        var path = Path.Combine(_directory, "iothub.duckdb");
        var options = new StorageOptions { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000), CompactionRowThreshold = 1_000, CompactionInterval = TimeSpan.FromMinutes(1) };
        var random = new Random(7);
        var values = Enumerable.Range(0, 600).Select(_ => Enumerable.Range(0, 600).Select(_ => Math.Round(random.NextDouble() * 10, 3)).ToArray()).ToArray();
        await using (var store = await OpenAsync(options))
        {
            for (var write = 0; write < 10; write++)
            {
                var columns = Enumerable.Range(0, 600).Select(s => new SeriesColumns(
                    "river",
                    [new("device", "g" + s.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                    "level",
                    [.. Enumerable.Range(write * 60, 60).Select(i => Today + (i * 30 * Second))],
                    [.. values[s][(write * 60)..((write + 1) * 60)]],
                    60)).ToList();
                await store.WriteColumnsAsync(columns, new UplinkBatch("g1", (ulong)write + 1), CancellationToken.None);
            }

            await store.CheckpointAsync(CancellationToken.None);
            Assert.Equal(0, store.RawRows);
            var (copies, swaps, before) = (store.FileCopies, store.FileSwaps, new FileInfo(path).Length);

            // No writes for a whole interval: the store copies itself once, and keeps the smaller copy.
            var waited = System.Diagnostics.Stopwatch.StartNew();
            // Until the swap that follows the copy (counted first) is done too.
            while (store.FileSwaps == swaps && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                _time.Advance(TimeSpan.FromMinutes(1));
                await Task.Delay(100);
            }

            Assert.Equal(copies + 1, store.FileCopies);
            Assert.Equal(swaps + 1, store.FileSwaps);
            Assert.True(new FileInfo(path).Length <= before - (256 * 1024), $"{new FileInfo(path).Length} B after going idle, {before} B before");
            Assert.False(File.Exists(path + ".reclaim"));
            Assert.Equal(values[3].Select((v, i) => (Today + (i * 30 * Second), v)), await RawAsync(store, Today, Today + Day, "g3"));

            // Still idle, the file not grown since: no copy again.
            for (var tick = 0; tick < 3; tick++)
            {
                _time.Advance(TimeSpan.FromMinutes(1));
                await Task.Delay(100);
            }

            await store.CheckpointAsync(CancellationToken.None);
            Assert.Equal(copies + 1, store.FileCopies);
        }

        // Every span's parts were merged into one block; a fresh copy of the closed file is no smaller.
        Assert.Equal([0], await PartsOfFirstSeriesAsync());
        var length = new FileInfo(path).Length;
        await using (var connection = new DuckDBConnection("Data Source=:memory:"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"ATTACH '{path}' AS store (READ_ONLY); ATTACH '{path}.fresh' AS fresh; COPY FROM DATABASE store TO fresh; CHECKPOINT fresh; DETACH fresh";
            await command.ExecuteNonQueryAsync();
        }

        Assert.True(length < new FileInfo(path + ".fresh").Length + (256 * 1024), $"{length} B, a fresh copy {new FileInfo(path + ".fresh").Length} B");
        File.Delete(path + ".fresh");
        await using var reopened = await OpenAsync(options);
        Assert.Equal(360_000, await reopened.CountRowsAsync(CancellationToken.None));
        Assert.Equal(values[599].Select((v, i) => (Today + (i * 30 * Second), v)), await RawAsync(reopened, Today, Today + Day, "g599"));
    }

    [Fact]
    public async Task NewSeriesInTheirFirstHour_StayRawUntilRawRowsReachTwiceTheThreshold_ThenDenseOnesAreSealed()
    {
        // Points every half second: 1,200 of a series cover ten minutes, less than the hour a new series waits.
        var options = new StorageOptions { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000), CompactionRowThreshold = 1_000, CompactionInterval = TimeSpan.FromHours(1) };
        List<Point> Dense(string device) => [.. Enumerable.Range(0, 1_200).Select(i => Level(device, Today + (i * Second / 2), Math.Round(i * 0.01, 2)))];
        await using var store = await OpenAsync(options);
        await store.WriteAsync(Dense("g1"), CancellationToken.None);
        await store.WriteAsync([Level("g9", Today, 1), Level("g9", Today + Second, 2)], CancellationToken.None);
        await store.CheckpointAsync(CancellationToken.None);
        Assert.Equal(1_202, store.RawRows);

        // 2,402 raw rows: the two dense series are sealed (one-day blocks), the sparse one stays raw.
        await store.WriteAsync(Dense("g2"), CancellationToken.None);
        await store.CheckpointAsync(CancellationToken.None);
        Assert.Equal(2, store.RawRows);
        Assert.Equal(Dense("g2").Select(p => (p.TimestampNs, p.Fields[0].Value.AsFloat)), await RawAsync(store, Today, Today + Day, "g2"));
        Assert.Equal(2, (await RawAsync(store, Today, Today + Day, "g9")).Count);
    }

    [Fact]
    public async Task RunningStore_SpanInProgress_SealedInPartsThenMergedByALateWriteWhenIdle()
    {
        // Today's span is in progress for both series; every point is 30 s after the one before.
        var options = new StorageOptions { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000), CompactionRowThreshold = 1_000, CompactionInterval = TimeSpan.FromMinutes(1) };
        var g1 = Enumerable.Range(0, 1_500).Select(i => Level("g1", Today + (i * 30 * Second), Math.Round(i * 0.01, 2))).ToList();
        var g2 = Enumerable.Range(0, 1_000).Select(i => Level("g2", Today + (i * 30 * Second), i)).ToList();
        var expected = g1.ToDictionary(p => p.TimestampNs, p => p.Fields[0].Value.AsFloat);
        await using (var store = await OpenAsync(options))
        {
            // Over the threshold: sealed although the span is in progress; then 300 more of g1 as a second part.
            await store.WriteAsync(g1[..1_200], CancellationToken.None);
            await store.CheckpointAsync(CancellationToken.None);
            Assert.Equal(0, store.RawRows);
            await store.WriteAsync(g1[1_200..], CancellationToken.None);
            await store.WriteAsync(g2, CancellationToken.None);
            await store.CheckpointAsync(CancellationToken.None);
            Assert.Equal(0, store.RawRows);
            Assert.Equal(expected.Select(kv => (kv.Key, kv.Value)), await RawAsync(store, Today, Today + Day));
        }

        Assert.Equal([0, 1], await PartsOfFirstSeriesAsync());
        await using (var store = await OpenAsync(options))
        {
            Assert.Equal(expected.Select(kv => (kv.Key, kv.Value)), await RawAsync(store, Today, Today + Day));
            Assert.Equal(g1[^1].TimestampNs, Assert.Single(store.GetLatestForDevice("g1")).TimestampNs);

            // A late write into the first part, then no writes: after a minute the store wakes
            // itself, and the late point makes it merge the span's parts.
            await store.WriteAsync([Level("g1", Today + (10 * 30 * Second), 99)], CancellationToken.None);
            expected[Today + (10 * 30 * Second)] = 99;
            await store.CheckpointAsync(CancellationToken.None);
            Assert.Equal(1, store.RawRows);
            _time.Advance(TimeSpan.FromMinutes(2));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (store.RawRows > 0 && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20);
            }

            Assert.Equal(0, store.RawRows);
            Assert.Equal(expected.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)), await RawAsync(store, Today, Today + Day));
            Assert.Equal(g2.Select(p => (p.TimestampNs, p.Fields[0].Value.AsFloat)), await RawAsync(store, Today, Today + Day, "g2"));
        }

        Assert.Equal([0], await PartsOfFirstSeriesAsync());
        await using var reopened = await OpenAsync(options);
        Assert.Equal(2_500, await reopened.CountRowsAsync(CancellationToken.None));
        Assert.Equal(expected.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)), await RawAsync(reopened, Today, Today + Day));
    }

    [Fact]
    public async Task Compaction_EveryValueKind_OutOfOrderRawRows_SealedBitForBit()
    {
        // The seal pass reads every raw table (float, integer with booleans, unsigned, text) back and
        // sorts what arrived out of order: each value must come back exactly, the last write winning.
        var start = Today - (2 * Day);
        var expected = new Dictionary<string, SortedDictionary<long, FieldValue>>();
        FieldValue Value(string field, int i) => field switch
        {
            "f" => FieldValue.FromFloat(Math.Round(Math.Sin(i) * 1e6, 3)),
            "i" => FieldValue.FromInteger(i % 3 == 0 ? long.MinValue + i : -i * 1_000_003L),
            "u" => FieldValue.FromUInteger(ulong.MaxValue - (ulong)i),
            "b" => FieldValue.FromBoolean(i % 3 == 1),
            _ => FieldValue.FromString("s" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        string[] fields = ["f", "i", "u", "b", "s"];
        async Task WriteAsync(DuckDbStore store, IEnumerable<int> minutes, int salt)
        {
            var points = new List<Point>();
            foreach (var m in minutes)
            {
                var ts = start + (m * Minute);
                var values = fields.Select(f => (f, Value(f, m + salt))).ToList();
                points.Add(new Point("mixed", [new("device", "m1")], [.. values.Select(v => new KeyValuePair<string, FieldValue>(v.f, v.Item2))], ts));
                foreach (var (field, value) in values)
                {
                    (expected.TryGetValue(field, out var series) ? series : expected[field] = [])[ts] = value;
                }
            }

            await store.WriteAsync(points, CancellationToken.None);
        }

        await using (var store = await OpenAsync())
        {
            // Two days of minutes, then (separate commits) earlier minutes and repeats: raw rows out of time order.
            await WriteAsync(store, Enumerable.Range(1_000, 1_880), 0);
            await WriteAsync(store, Enumerable.Range(0, 1_000).Where(m => m % 2 == 0), 7);
            await WriteAsync(store, Enumerable.Range(1_500, 50), 11);
            Assert.Equal(expected.Values.Sum(v => v.Count), await store.CompactAsync(CancellationToken.None));
        }

        var sealedPoints = new Dictionary<string, SortedDictionary<long, FieldValue>>();
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(_directory, "iothub.duckdb")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT s.field, b.day, b.data FROM blocks b JOIN series s ON s.id = b.series_id ORDER BY s.field, b.day, b.part";
        await using var reader = await command.ExecuteReaderAsync();
        var block = new BlockPoints();
        while (await reader.ReadAsync())
        {
            await using var data = reader.GetStream(2);
            var bytes = new byte[data.Length];
            data.ReadExactly(bytes);
            BlockCodec.Decode(bytes, block, reader.GetInt32(1) * Day);
            var series = sealedPoints.TryGetValue(reader.GetString(0), out var existing) ? existing : sealedPoints[reader.GetString(0)] = [];
            for (var i = 0; i < block.Count; i++)
            {
                series.Add(block.Timestamps[i], block.ValueAt(i));
            }
        }

        Assert.Equal(fields.Order(), sealedPoints.Keys.Order());
        foreach (var field in fields)
        {
            Assert.Equal(expected[field], sealedPoints[field]);
        }
    }

    /// <summary>The parts of the blocks of series 0 (g1), read from the closed store's file.</summary>
    private async Task<List<int>> PartsOfFirstSeriesAsync()
    {
        await using var connection = new DuckDBConnection($"Data Source={Path.Combine(_directory, "iothub.duckdb")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT part FROM blocks WHERE series_id = 0 ORDER BY part";
        await using var reader = await command.ExecuteReaderAsync();
        var parts = new List<int>();
        while (await reader.ReadAsync())
        {
            parts.Add(reader.GetInt32(0));
        }

        return parts;
    }

    private static async Task<List<(long, double)>> RawAsync(DuckDbStore store, long from, long to, string device = "g1")
    {
        var answer = await store.QueryAsync(new SeriesQuery("river", "level", new Dictionary<string, string> { ["device"] = device }, from, to, null, Aggregate.Mean, 1_000_000), CancellationToken.None);
        return answer.Count == 0 ? [] : [.. answer[0].Points];
    }

    private Task<DuckDbStore> OpenAsync(StorageOptions? options = null) =>
        DuckDbStore.OpenAsync(options ?? new StorageOptions { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000) }, NullLogger.Instance, _time, CancellationToken.None);

    private static Point Level(string device, long ts, double level) =>
        new("river", [new("device", device)], [new("level", FieldValue.FromFloat(level))], ts);
}
