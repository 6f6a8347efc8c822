using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Storage.Tests;

public sealed class DuckDbStoreTests : IDisposable
{
    // Timestamps in these tests are offsets from a day ago, well inside the default raw retention.
    private static readonly long Base = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1));
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-store-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task WriteAsync_EveryFieldKind_LatestValuesReadBackTyped()
    {
        await using var store = await OpenAsync();

        await store.WriteAsync([Point("dev-1", 1_000, ("f", FieldValue.FromFloat(1.5)), ("i", FieldValue.FromInteger(-7)), ("u", FieldValue.FromUInteger(ulong.MaxValue)), ("b", FieldValue.FromBoolean(true)), ("s", FieldValue.FromString("Shinjuku")))], CancellationToken.None);

        var latest = store.GetLatestForDevice("dev-1").ToDictionary(l => l.Series.Field, l => l.Value);
        Assert.Equal(FieldValue.FromFloat(1.5), latest["f"]);
        Assert.Equal(FieldValue.FromInteger(-7), latest["i"]);
        Assert.Equal(FieldValue.FromUInteger(ulong.MaxValue), latest["u"]);
        Assert.Equal(FieldValue.FromBoolean(true), latest["b"]);
        Assert.Equal(FieldValue.FromString("Shinjuku"), latest["s"]);
        Assert.Equal(5, await store.CountRowsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WriteAsync_OutOfOrder_LatestIsNewestTimestamp()
    {
        await using var store = await OpenAsync();

        await store.WriteAsync([Point("dev-1", 3_000, ("level", FieldValue.FromFloat(3)))], CancellationToken.None);
        await store.WriteAsync([Point("dev-1", 1_000, ("level", FieldValue.FromFloat(1)))], CancellationToken.None);

        var latest = Assert.Single(store.GetLatestForDevice("dev-1"));
        Assert.Equal(Base + 3_000, latest.TimestampNs);
        Assert.Equal(3.0, latest.Value.AsFloat);
        Assert.Equal(Base + 3_000, store.GetDeviceLastSeen("dev-1"));
    }

    [Fact]
    public async Task OpenAsync_AfterRestart_SeriesAndLatestRebuiltFromDisk()
    {
        await using (var store = await OpenAsync())
        {
            await store.WriteAsync([Point("dev-1", 1_000, ("level", FieldValue.FromFloat(1))), Point("dev-1", 2_000, ("level", FieldValue.FromFloat(2)), ("ok", FieldValue.FromBoolean(false)))], CancellationToken.None);
            await store.WriteAsync([Point("dev-2", 5_000, ("count", FieldValue.FromInteger(42)))], CancellationToken.None);
        }

        await using var reopened = await OpenAsync();

        Assert.Equal(3, reopened.Series.Count);
        var dev1 = reopened.GetLatestForDevice("dev-1").ToDictionary(l => l.Series.Field);
        Assert.Equal(2.0, dev1["level"].Value.AsFloat);
        Assert.Equal(Base + 2_000, dev1["level"].TimestampNs);
        Assert.False(dev1["ok"].Value.AsBoolean);
        Assert.Equal(FieldKind.Boolean, dev1["ok"].Series.Kind);
        Assert.Equal(42, Assert.Single(reopened.GetLatestForDevice("dev-2")).Value.AsInteger);

        // New series after a restart get fresh ids, not ones already on disk.
        await reopened.WriteAsync([Point("dev-3", 1, ("x", FieldValue.FromFloat(0)))], CancellationToken.None);
        Assert.Equal(4, reopened.Series.Select(s => s.Id).Distinct().Count());
    }

    [Fact]
    public async Task WriteAsync_FieldTypeChanges_FailsAndWritesNothingOfTheBatch()
    {
        await using var store = await OpenAsync();
        await store.WriteAsync([Point("dev-1", 1_000, ("level", FieldValue.FromFloat(1)))], CancellationToken.None);

        var failure = await Assert.ThrowsAsync<WriteRefusedException>(() => store.WriteAsync(
            [Point("dev-1", 2_000, ("other", FieldValue.FromFloat(5))), Point("dev-1", 3_000, ("level", FieldValue.FromString("high")))], CancellationToken.None));

        Assert.Contains("is Float, not String", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, await store.CountRowsAsync(CancellationToken.None));
        Assert.Single(store.Series);
        Assert.Equal(1.0, Assert.Single(store.GetLatestForDevice("dev-1")).Value.AsFloat);

        // The store carries on after a failed commit.
        await store.WriteAsync([Point("dev-1", 4_000, ("other", FieldValue.FromFloat(6)))], CancellationToken.None);
        Assert.Equal(2, store.Series.Count);
    }

    [Fact]
    public async Task WriteAsync_ManyConcurrentWriters_AllCommittedInFewerCommits()
    {
        await using var store = await OpenAsync();

        var writers = Enumerable.Range(0, 200).Select(i =>
            store.WriteAsync([Point("dev-" + (i % 10), 1_000 + i, ("v", FieldValue.FromFloat(i)))], CancellationToken.None));
        await Task.WhenAll(writers);

        Assert.Equal(200, await store.CountRowsAsync(CancellationToken.None));
        Assert.Equal(200, store.PointsWritten);
        Assert.True(store.Commits <= 200);
    }

    [Fact]
    public async Task SeriesTags_WithSeparatorsInValues_RoundTripThroughDisk()
    {
        const string tricky = "a,b=c d\\e";
        await using (var store = await OpenAsync())
        {
            await store.WriteAsync([new Point("m", [new("device", "dev-1"), new("place", tricky)], [new("v", FieldValue.FromFloat(1))], Base)], CancellationToken.None);
        }

        await using var reopened = await OpenAsync();

        var series = Assert.Single(reopened.Series);
        Assert.Equal(tricky, series.Tags.Single(t => t.Key == "place").Value);
    }

    [Fact]
    public async Task WriteAsync_ReplayedUplinkBatch_WrittenOnceEvenAfterRestart()
    {
        await using (var store = await OpenAsync())
        {
            var first = await store.WriteAsync([Point("dev-1", 1_000, ("level", FieldValue.FromFloat(1)))], new UplinkBatch("dev-1", 7), CancellationToken.None);
            var replay = await store.WriteAsync([Point("dev-1", 1_000, ("level", FieldValue.FromFloat(1)))], new UplinkBatch("dev-1", 7), CancellationToken.None);
            var older = await store.WriteAsync([Point("dev-1", 500, ("level", FieldValue.FromFloat(0.5)))], new UplinkBatch("dev-1", 6), CancellationToken.None);
            var otherDevice = await store.WriteAsync([Point("dev-2", 1_000, ("level", FieldValue.FromFloat(2)))], new UplinkBatch("dev-2", 7), CancellationToken.None);

            Assert.Equal(WriteOutcome.Committed, first);
            Assert.Equal(WriteOutcome.Duplicate, replay);
            Assert.Equal(WriteOutcome.Duplicate, older);
            Assert.Equal(WriteOutcome.Committed, otherDevice);
            Assert.Equal(2, await store.CountRowsAsync(CancellationToken.None));
        }

        await using var reopened = await OpenAsync();

        Assert.Equal(7UL, reopened.LastBatchSequence("dev-1"));
        Assert.Equal(WriteOutcome.Duplicate, await reopened.WriteAsync([Point("dev-1", 1_000, ("level", FieldValue.FromFloat(1)))], new UplinkBatch("dev-1", 7), CancellationToken.None));
        Assert.Equal(WriteOutcome.Committed, await reopened.WriteAsync([Point("dev-1", 2_000, ("level", FieldValue.FromFloat(3)))], new UplinkBatch("dev-1", 8), CancellationToken.None));
        Assert.Equal(3, await reopened.CountRowsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WriteAsync_SameSequenceTwiceInOneCommit_SecondIsDuplicate()
    {
        await using var store = await OpenAsync();

        var writes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            store.WriteAsync([Point("dev-1", 1_000, ("level", FieldValue.FromFloat(1)))], new UplinkBatch("dev-1", 1), CancellationToken.None)));

        Assert.Equal(1, writes.Count(w => w == WriteOutcome.Committed));
        Assert.Equal(1, await store.CountRowsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WriteColumnsAsync_EveryFieldKind_StoredTypedAndBatchWrittenOnce()
    {
        await using var store = await OpenAsync();
        long[] ts = [Base + 1_000, Base + 2_000];
        SeriesColumns[] columns =
        [
            new("river", [new("device", "dev-c")], "f", ts, new[] { 1.5, 2.5 }, 2),
            new("river", [new("device", "dev-c")], "i", ts, new[] { -7L, 8L }, 2),
            new("river", [new("device", "dev-c")], "u", ts, new[] { 1UL, ulong.MaxValue }, 2),
            new("river", [new("device", "dev-c")], "b", ts, new[] { true, false }, 2),
            new("river", [new("device", "dev-c")], "s", ts, new[] { "a", "Shinjuku" }, 2),
        ];

        var first = await store.WriteColumnsAsync(columns, new UplinkBatch("dev-c", 4), CancellationToken.None);
        var replay = await store.WriteColumnsAsync(columns, new UplinkBatch("dev-c", 4), CancellationToken.None);

        Assert.Equal(WriteOutcome.Committed, first);
        Assert.Equal(WriteOutcome.Duplicate, replay);
        Assert.Equal(4UL, store.LastBatchSequence("dev-c"));
        Assert.Equal(10, await store.CountRowsAsync(CancellationToken.None));
        var latest = store.GetLatestForDevice("dev-c").ToDictionary(l => l.Series.Field, l => l.Value);
        Assert.Equal(FieldValue.FromFloat(2.5), latest["f"]);
        Assert.Equal(FieldValue.FromInteger(8), latest["i"]);
        Assert.Equal(FieldValue.FromUInteger(ulong.MaxValue), latest["u"]);
        Assert.Equal(FieldValue.FromBoolean(false), latest["b"]);
        Assert.Equal(FieldValue.FromString("Shinjuku"), latest["s"]);
        var sums = await store.QueryAsync(new SeriesQuery("river", "u", new Dictionary<string, string>(), Base, Base + 60_000_000_000, 60_000_000_000, Aggregate.Count, 10) { Resolution = QueryResolution.Minute }, CancellationToken.None);
        Assert.Equal(2, Assert.Single(Assert.Single(sums).Points).Value);
    }

    [Fact]
    public async Task OpenAsync_StoreMadeBeforeBlocks_RawSealedAndExpiredRollupsKept()
    {
        // A store written before blocks: raw rows in both tiers, rollup partials in rollup_recent,
        // for a bucket whose raw points are kept and for one whose raw points expired long ago.
        const long Minute = 60_000_000_000;
        var bucket = Schema.FloorTo(Base, Schema.HourNs);
        var expired = bucket - (400 * 24 * Schema.HourNs);
        await using (var old = new DuckDB.NET.Data.DuckDBConnection($"Data Source={Path.Combine(_directory, "iothub.duckdb")}"))
        {
            await old.OpenAsync();
            await using var command = old.CreateCommand();
            command.CommandText = Schema.Create.Replace("CREATE TABLE IF NOT EXISTS blocks", "CREATE TABLE IF NOT EXISTS unused", StringComparison.Ordinal) + $"""
                CREATE TABLE rollup_recent (level UTINYINT NOT NULL, series_id INTEGER NOT NULL, bucket BIGINT NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL, sum DOUBLE NOT NULL, count BIGINT NOT NULL, last_ts BIGINT NOT NULL, last DOUBLE NOT NULL);
                INSERT INTO series VALUES (0, 'river', 'device=dev-m', 'level', 0);
                INSERT INTO samples_f64 VALUES (0, {bucket}, 1), (0, {bucket + 1}, 3);
                INSERT INTO recent_f64 VALUES (0, {bucket + Minute}, 5);
                INSERT INTO rollup_recent VALUES (0, 0, {bucket}, 1, 3, 4, 2, {bucket + 1}, 3), (1, 0, {bucket}, 1, 3, 4, 2, {bucket + 1}, 3);
                INSERT INTO rollup_recent VALUES (0, 0, {bucket + Minute}, 5, 5, 5, 1, {bucket + Minute}, 5), (1, 0, {bucket}, 5, 5, 5, 1, {bucket + Minute}, 5);
                INSERT INTO rollup_1h VALUES (0, {expired}, 2, 2, 2, 1, {expired}, 2);
                INSERT INTO rollup_recent VALUES (1, 0, {expired}, 4, 4, 4, 1, {expired + 1}, 4);
                """;
            await command.ExecuteNonQueryAsync();
        }

        await using var store = await OpenAsync();
        var minutes = new SeriesQuery("river", "level", new Dictionary<string, string>(), bucket, bucket + Schema.HourNs, Minute, Aggregate.Sum, 100) { Resolution = QueryResolution.Minute };
        var hourly = minutes with { StepNs = Schema.HourNs, Resolution = QueryResolution.Hour };
        var longAgo = hourly with { FromNs = expired, ToNs = expired + Schema.HourNs, Aggregate = Aggregate.Mean };

        for (var pass = 0; pass < 2; pass++)
        {
            Assert.Equal([(bucket, 4.0), (bucket + Minute, 5.0)], Assert.Single(await store.QueryAsync(minutes, CancellationToken.None)).Points);
            Assert.Equal([(bucket, 9.0)], Assert.Single(await store.QueryAsync(hourly, CancellationToken.None)).Points);
            Assert.Equal([(expired, 3.0)], Assert.Single(await store.QueryAsync(longAgo, CancellationToken.None)).Points);
            Assert.Equal(pass == 0 ? 3 : 0, await store.CompactAsync(CancellationToken.None));
        }

        Assert.Equal(5.0, Assert.Single(store.GetLatest()).Value.AsFloat);
    }

    private Task<DuckDbStore> OpenAsync() =>
        DuckDbStore.OpenAsync(new StorageOptions { DataDirectory = _directory }, NullLogger.Instance, CancellationToken.None);

    private static Point Point(string device, long timestampNs, params (string Name, FieldValue Value)[] fields) =>
        new("river", [new("device", device)], fields.Select(f => new KeyValuePair<string, FieldValue>(f.Name, f.Value)), Base + timestampNs);
}
