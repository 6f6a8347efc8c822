using DuckDB.NET.Data;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace IotHub.Storage.Tests;

/// <summary>Last write wins, rollups against recomputation, retention, compaction, export, the column path.</summary>
public sealed class SemanticsTests : IDisposable
{
    private const long Second = 1_000_000_000;
    private const long Minute = 60 * Second;
    private const long Hour = 60 * Minute;
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly long T0 = TimeUnits.FromDateTimeOffset(Now.AddDays(-2));
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-sem-").FullName;
    private readonly FakeTimeProvider _time = new(Now);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task WriteAsync_SameSeriesAndTimestampTwice_LastWriteWinsEverywhere()
    {
        await using (var store = await OpenAsync())
        {
            await store.WriteAsync([Level("g1", T0, 1), Level("g1", T0 + Minute, 2)], CancellationToken.None);
            await store.WriteAsync([Level("g1", T0, 10)], CancellationToken.None);
            await store.WriteAsync([Level("g1", T0 + Minute, 20), Level("g1", T0 + Minute, 21)], CancellationToken.None);

            Assert.Equal([(T0, 10.0), (T0 + Minute, 21.0)], await RawAsync(store, "g1"));
            Assert.Equal(21.0, Assert.Single(store.GetLatestForDevice("g1")).Value.AsFloat);
            Assert.Equal(2, await store.CountRowsAsync(CancellationToken.None));
            await store.CompactAsync(CancellationToken.None);
            await store.WriteAsync([Level("g1", T0, 100)], CancellationToken.None);
            Assert.Equal([(T0, 100.0), (T0 + Minute, 21.0)], await RawAsync(store, "g1"));
        }

        await using var reopened = await OpenAsync();
        Assert.Equal([(T0, 100.0), (T0 + Minute, 21.0)], await RawAsync(reopened, "g1"));
        Assert.Equal(21.0, Assert.Single(reopened.GetLatestForDevice("g1")).Value.AsFloat);
    }

    [Fact]
    public async Task WriteAsync_RepeatOfNewestTimestamp_ReplacesLatestValue()
    {
        await using var store = await OpenAsync();

        await store.WriteAsync([Level("g1", T0 + Minute, 1)], CancellationToken.None);
        await store.WriteAsync([Level("g1", T0 + Minute, 5)], CancellationToken.None);

        var latest = Assert.Single(store.GetLatestForDevice("g1"));
        Assert.Equal(5.0, latest.Value.AsFloat);
        Assert.Equal(T0 + Minute, latest.TimestampNs);
    }

    [Fact]
    public async Task Rollups_AfterLateAndDuplicateWritesAndCompaction_EqualRecomputationFromRaw()
    {
        await using var store = await OpenAsync();
        var random = new Random(7);
        var devices = new[] { "g1", "g2", "g3" };

        // What the store must hold: the last write of every (device, time).
        var expected = new Dictionary<(string Device, long Ts), double>();

        // Five rounds: in-order data, then late points, repeats of stored timestamps and
        // repeats inside one request, with a compaction (sealing into blocks) between some rounds.
        for (var round = 0; round < 5; round++)
        {
            var points = new List<Point>();
            for (var i = 0; i < 400; i++)
            {
                var device = devices[random.Next(devices.Length)];
                var ts = T0 + (random.Next(0, 6 * 60 * 6) * 10 * Second);
                points.Add(Level(device, ts, Math.Round(random.NextDouble() * 10, 2)));
                if (i % 17 == 0)
                {
                    points.Add(Level(device, ts, -Math.Round(random.NextDouble() * 10, 2)));
                }
            }

            foreach (var point in points)
            {
                expected[(point.Tags[0].Value, point.TimestampNs)] = point.Fields[0].Value.AsFloat;
            }

            points.Add(new Point("river", [new("device", "g1")], [new("count", FieldValue.FromInteger(random.Next(100)))], T0 + (round * Minute)));
            await store.WriteAsync(points, CancellationToken.None);
            if (round % 2 == 1)
            {
                await store.CompactAsync(CancellationToken.None);
            }
        }

        // Against a recomputation here, from the expected raw points: sum and count per 5-minute bucket.
        foreach (var device in devices)
        {
            var query = new SeriesQuery("river", "level", new Dictionary<string, string> { ["device"] = device }, T0, T0 + (7 * Hour), 5 * Minute, Aggregate.Sum, 100_000) { Resolution = QueryResolution.Minute };
            var buckets = expected.Where(kv => kv.Key.Device == device).GroupBy(kv => T0 + ((kv.Key.Ts - T0) / (5 * Minute) * 5 * Minute)).OrderBy(g => g.Key).ToList();
            var sums = Assert.Single(await store.QueryAsync(query, CancellationToken.None)).Points;
            var counts = Assert.Single(await store.QueryAsync(query with { Aggregate = Aggregate.Count }, CancellationToken.None)).Points;
            Assert.Equal(buckets.Select(b => (b.Key, Math.Round(b.Sum(kv => kv.Value), 6))), sums.Select(p => (p.TimestampNs, Math.Round(p.Value, 6))));
            Assert.Equal(buckets.Select(b => (double)b.Count()), counts.Select(p => p.Value));
        }

        foreach (var (step, resolution) in new[] { (Minute, QueryResolution.Minute), (5 * Minute, QueryResolution.Minute), (Hour, QueryResolution.Hour), (3 * Hour, QueryResolution.Hour) })
        {
            foreach (var aggregate in new[] { Aggregate.Mean, Aggregate.Min, Aggregate.Max, Aggregate.Sum, Aggregate.Count, Aggregate.Last })
            {
                foreach (var field in new[] { "level", "count" })
                {
                    var query = new SeriesQuery("river", field, new Dictionary<string, string>(), T0, T0 + (7 * Hour), step, aggregate, 100_000);
                    var fromRaw = await store.QueryAsync(query with { Resolution = QueryResolution.Raw }, CancellationToken.None);
                    var fromRollup = await store.QueryAsync(query with { Resolution = resolution }, CancellationToken.None);

                    Assert.Equal(fromRaw.Count, fromRollup.Count);
                    for (var s = 0; s < fromRaw.Count; s++)
                    {
                        Assert.Equal(fromRaw[s].Series, fromRollup[s].Series);
                        Assert.Equal(fromRaw[s].Points.Select(p => p.TimestampNs), fromRollup[s].Points.Select(p => p.TimestampNs));
                        Assert.Equal(fromRaw[s].Points.Select(p => Math.Round(p.Value, 6)), fromRollup[s].Points.Select(p => Math.Round(p.Value, 6)));
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Retention_RawExpires_RollupsStillAnswer()
    {
        var options = Options();
        options.Retention["river"] = new MeasurementRetention { Raw = TimeSpan.FromDays(1) };
        await using var store = await OpenAsync(options);
        var start = TimeUnits.FromDateTimeOffset(Now) - (6 * Hour);
        await store.WriteAsync([Level("g1", start, 1), Level("g1", start + Minute, 3), Level("g1", start + (2 * Hour), 5)], CancellationToken.None);
        var hourly = new SeriesQuery("river", "level", new Dictionary<string, string>(), start, start + (3 * Hour), Hour, Aggregate.Mean, 1000);

        _time.Advance(TimeSpan.FromDays(1.5));
        var deleted = await store.ApplyRetentionAsync(CancellationToken.None);

        Assert.Equal(0, await store.CountRowsAsync(CancellationToken.None));
        Assert.Equal(3, deleted);
        Assert.Empty((await store.QueryAsync(hourly with { StepNs = null }, CancellationToken.None)).Single().Points);
        Assert.Equal([(start, 2.0), (start + (2 * Hour), 5.0)], Assert.Single(await store.QueryAsync(hourly, CancellationToken.None)).Points);

        // A point older than the raw retention is acknowledged and discarded.
        await store.WriteAsync([Level("g1", start + Minute, 30)], CancellationToken.None);
        Assert.Equal(1, store.PointsExpired);
        Assert.Equal(0, await store.CountRowsAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(48, 24, 24 * 365, "1-minute rollup retention")]
    [InlineData(48, 96, 72, "1-hour rollup retention")]
    [InlineData(0.5, 96, 200, "at least 1 hour")]
    public void Validate_RetentionOutOfOrder_NamesTheOption(double rawHours, double minuteHours, double hourHours, string expected)
    {
        var options = Options();
        options.Retention["traffic"] = new MeasurementRetention
        {
            Raw = TimeSpan.FromHours(rawHours),
            MinuteRollup = TimeSpan.FromHours(minuteHours),
            HourRollup = TimeSpan.FromHours(hourHours),
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Retention:traffic", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteColumnsAsync_UnsortedWithRepeats_SameAnswerAsPoints()
    {
        await using var store = await OpenAsync();
        var tags = new[] { new KeyValuePair<string, string>("device", "g1") };
        long[] ts = [T0 + (2 * Minute), T0, T0 + Minute, T0 + Minute, T0 + (3 * Minute)];
        double[] values = [2, 0, 1, 1.5, 3];

        await store.WriteColumnsAsync([new SeriesColumns("river", tags, "level", ts, values, ts.Length)], CancellationToken.None);
        await store.WriteColumnsAsync([new SeriesColumns("river", tags, "count", ts, new long[] { 5, 6, 7, 8, 9 }, 3)], CancellationToken.None);

        Assert.Equal([(T0, 0.0), (T0 + Minute, 1.5), (T0 + (2 * Minute), 2.0), (T0 + (3 * Minute), 3.0)], await RawAsync(store, "g1"));
        var latest = store.GetLatestForDevice("g1").ToDictionary(l => l.Series.Field);
        Assert.Equal(3.0, latest["level"].Value.AsFloat);
        Assert.Equal(5, latest["count"].Value.AsInteger);
        var minute = await store.QueryAsync(new SeriesQuery("river", "level", new Dictionary<string, string>(), T0, T0 + (4 * Minute), 2 * Minute, Aggregate.Sum, 100), CancellationToken.None);
        Assert.Equal([1.5, 5.0], Assert.Single(minute).Points.Select(p => p.Value));
    }

    [Fact]
    public async Task GetLatest_ManySeriesByMeasurementAndTag_OneCall()
    {
        await using var store = await OpenAsync();
        await store.WriteAsync([.. Enumerable.Range(0, 50).Select(i => Level("g" + i, T0 + i, i))], CancellationToken.None);
        await store.WriteAsync([new Point("river", [new("device", "g0"), new("river", "kanda")], [new("level", FieldValue.FromFloat(9))], T0)], CancellationToken.None);

        var all = store.GetLatest("river", "level", new Dictionary<string, string>());
        var kanda = store.GetLatest("river", null, new Dictionary<string, string> { ["river"] = "kanda" });

        Assert.Equal(51, all.Count);
        Assert.Equal(9.0, Assert.Single(kanda).Value.AsFloat);
    }

    [Fact]
    public async Task ExportParquetAsync_Range_WritesEveryRowOfIt()
    {
        await using var store = await OpenAsync();
        await store.WriteAsync([Level("g1", T0, 1), Level("g1", T0 + Minute, 2), Level("g2", T0 + Hour, 3)], CancellationToken.None);
        await store.WriteAsync([new Point("pole", [new("device", "p1")], [new("signage", FieldValue.FromString("normal"))], T0)], CancellationToken.None);
        var file = Path.Combine(_directory, "export.parquet");

        var rows = await store.ExportParquetAsync(file, T0, T0 + Hour, null, CancellationToken.None);

        Assert.Equal(3, rows);
        await using var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), sum(value), max(text) FROM read_parquet('{file}')";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(3L, Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3.0, reader.GetDouble(1));
        Assert.Equal("normal", reader.GetString(2));
    }

    [Fact]
    public async Task QueryAsync_RollupAsked_StepNotWholeMinutes_Error()
    {
        await using var store = await OpenAsync();
        await store.WriteAsync([Level("g1", T0, 1)], CancellationToken.None);
        var query = new SeriesQuery("river", "level", new Dictionary<string, string>(), T0, T0 + Hour, 90 * Second, Aggregate.Mean, 100) { Resolution = QueryResolution.Minute };

        var error = await Assert.ThrowsAsync<QueryException>(() => store.QueryAsync(query, CancellationToken.None));

        Assert.Contains("not a whole number of minutes", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<(long, double)>> RawAsync(DuckDbStore store, string device, long? to = null)
    {
        var answer = await store.QueryAsync(new SeriesQuery("river", "level", new Dictionary<string, string> { ["device"] = device }, T0 - Hour, to ?? T0 + (10 * Hour), null, Aggregate.Mean, 100_000), CancellationToken.None);
        return answer.Count == 0 ? [] : [.. answer[0].Points];
    }

    private StorageOptions Options() => new() { DataDirectory = _directory, RetentionSweepInterval = TimeSpan.FromDays(1000) };

    private Task<DuckDbStore> OpenAsync(StorageOptions? options = null) =>
        DuckDbStore.OpenAsync(options ?? Options(), NullLogger.Instance, _time, CancellationToken.None);

    private static Point Level(string device, long ts, double level) =>
        new("river", [new("device", device)], [new("level", FieldValue.FromFloat(level))], ts);
}
