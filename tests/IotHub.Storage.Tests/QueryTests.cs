using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Storage.Tests;

public sealed class QueryTests : IAsyncLifetime
{
    private const long Minute = 60_000_000_000;
    private static readonly long T0 = TimeUnits.FromDateTimeOffset(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-query-").FullName;
    private DuckDbStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await DuckDbStore.OpenAsync(new StorageOptions { DataDirectory = _directory }, NullLogger.Instance, CancellationToken.None);
        var points = new List<Point>();
        for (var i = 0; i < 10; i++)
        {
            // Two gauges, one reading a minute: levels i and 10 + i.
            points.Add(Level("gauge-1", "kanda", T0 + (i * Minute), i));
            points.Add(Level("gauge-2", "meguro", T0 + (i * Minute), 10 + i));
        }

        points.Add(new Point("river", [new("device", "gauge-1"), new("river", "kanda")], [new("name", FieldValue.FromString("x"))], T0));
        await _store.WriteAsync(points, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task QueryAsync_Raw_AllPointsOfMatchingSeriesInTimeOrder()
    {
        var answer = await _store.QueryAsync(Query(tags: new() { ["river"] = "kanda" }), CancellationToken.None);

        var series = Assert.Single(answer);
        Assert.Equal("gauge-1", series.Series.Device);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (T0 + (i * Minute), (double)i)), series.Points);
    }

    [Theory]
    [InlineData(Aggregate.Mean, new[] { 2.0, 7.0 })]
    [InlineData(Aggregate.Min, new[] { 0.0, 5.0 })]
    [InlineData(Aggregate.Max, new[] { 4.0, 9.0 })]
    [InlineData(Aggregate.Sum, new[] { 10.0, 35.0 })]
    [InlineData(Aggregate.Count, new[] { 5.0, 5.0 })]
    [InlineData(Aggregate.Last, new[] { 4.0, 9.0 })]
    [InlineData(Aggregate.P95, new[] { 3.8, 8.8 })]
    public async Task QueryAsync_FiveMinuteBuckets_AggregatesPerBucket(Aggregate aggregate, double[] expected)
    {
        var answer = await _store.QueryAsync(Query(tags: new() { ["device"] = "gauge-1" }, step: 5 * Minute, aggregate: aggregate), CancellationToken.None);

        var series = Assert.Single(answer);
        Assert.Equal([T0, T0 + (5 * Minute)], series.Points.Select(p => p.TimestampNs));
        Assert.Equal(expected, series.Points.Select(p => Math.Round(p.Value, 6)));
    }

    [Fact]
    public async Task QueryAsync_NoTagFilter_EverySeriesOfTheField()
    {
        var answer = await _store.QueryAsync(Query(step: 10 * Minute), CancellationToken.None);

        Assert.Equal(2, answer.Count);
        Assert.Equal([4.5, 14.5], answer.Select(s => s.Points.Single().Value));
    }

    [Theory]
    [InlineData("sea", "level", "unknown measurement 'sea'")]
    [InlineData("river", "depth", "measurement 'river' has no field 'depth'")]
    [InlineData("river", "name", "holds strings")]
    public async Task QueryAsync_UnknownOrTextSeries_SpecificError(string measurement, string field, string expected)
    {
        var error = await Assert.ThrowsAsync<QueryException>(() => _store.QueryAsync(Query(measurement, field), CancellationToken.None));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_InvertedRange_Error()
    {
        var query = Query() with { FromNs = T0 + Minute, ToNs = T0 };

        var error = await Assert.ThrowsAsync<QueryException>(() => _store.QueryAsync(query, CancellationToken.None));

        Assert.Contains("empty or inverted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_StepTooSmallForRange_Error()
    {
        var query = Query(step: 1_000_000) with { ToNs = T0 + (365L * 24 * 60 * Minute) };

        var error = await Assert.ThrowsAsync<QueryException>(() => _store.QueryAsync(query, CancellationToken.None));

        Assert.Contains("too small for this range", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_OverRowLimit_RefusedNotTruncated()
    {
        var query = Query() with { RowLimit = 15 };

        var error = await Assert.ThrowsAsync<QueryException>(() => _store.QueryAsync(query, CancellationToken.None));

        Assert.Contains("more than 15 points", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_WhileWriting_SeesCommittedData()
    {
        var writes = Enumerable.Range(10, 50).Select(i => _store.WriteAsync([Level("gauge-1", "kanda", T0 + (i * Minute), i)], CancellationToken.None)).ToList();
        var reads = Enumerable.Range(0, 10).Select(_ => _store.QueryAsync(Query(tags: new() { ["device"] = "gauge-1" }) with { ToNs = T0 + (100 * Minute) }, CancellationToken.None)).ToList();
        await Task.WhenAll(writes);
        await Task.WhenAll(reads);

        var after = await _store.QueryAsync(Query(tags: new() { ["device"] = "gauge-1" }) with { ToNs = T0 + (100 * Minute) }, CancellationToken.None);
        Assert.Equal(60, after.Single().Points.Count);
        Assert.All(reads, r => Assert.InRange(r.Result.Single().Points.Count, 10, 60));
    }

    [Fact]
    public async Task QueryAsync_ManySeriesSealedAndRaw_EverySeriesAnsweredInOrderAcrossReads()
    {
        // 150 gauges (more than one read's worth of series): minutes 0-4 sealed into blocks, 5-9 raw.
        var gauges = Enumerable.Range(0, 150).Select(g => $"g{g:D3}").ToList();
        await _store.WriteAsync([.. gauges.SelectMany((g, n) => Enumerable.Range(0, 5).Select(i => Level(g, "sumida", T0 + (i * Minute), (100 * n) + i)))], CancellationToken.None);
        await _store.CompactAsync(CancellationToken.None);
        await _store.WriteAsync([.. gauges.SelectMany((g, n) => Enumerable.Range(5, 5).Select(i => Level(g, "sumida", T0 + (i * Minute), (100 * n) + i)))], CancellationToken.None);

        var summed = await _store.QueryAsync(Query(tags: new() { ["river"] = "sumida" }, step: 10 * Minute, aggregate: Aggregate.Sum), CancellationToken.None);
        var raw = await _store.QueryAsync(Query(tags: new() { ["river"] = "sumida" }), CancellationToken.None);

        Assert.Equal(gauges, summed.Select(s => s.Series.Device).Order());
        Assert.All(summed, s => Assert.Equal((1000.0 * gauges.IndexOf(s.Series.Device!)) + 45, s.Points.Single().Value));
        Assert.Equal(1500, raw.Sum(s => s.Points.Count));
        Assert.All(raw, s => Assert.Equal(Enumerable.Range(0, 10).Select(i => (T0 + (i * Minute), (100.0 * gauges.IndexOf(s.Series.Device!)) + i)), s.Points));
        var limited = await Assert.ThrowsAsync<QueryException>(() => _store.QueryAsync(Query(tags: new() { ["river"] = "sumida" }) with { RowLimit = 1499 }, CancellationToken.None));
        Assert.Contains("more than 1499 points", limited.Message, StringComparison.Ordinal);
    }

    private static SeriesQuery Query(string measurement = "river", string field = "level", Dictionary<string, string>? tags = null, long? step = null, Aggregate aggregate = Aggregate.Mean) =>
        new(measurement, field, tags ?? [], T0, T0 + (10 * Minute), step, aggregate, 10_000);

    private static Point Level(string device, string river, long ts, double level) =>
        new("river", [new("device", device), new("river", river)], [new("level", FieldValue.FromFloat(level))], ts);
}
