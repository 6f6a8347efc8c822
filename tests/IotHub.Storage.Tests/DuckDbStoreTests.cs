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

        var failure = await Assert.ThrowsAsync<StorageException>(() => store.WriteAsync(
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

    private Task<DuckDbStore> OpenAsync() =>
        DuckDbStore.OpenAsync(new StorageOptions { DataDirectory = _directory }, NullLogger.Instance, CancellationToken.None);

    private static Point Point(string device, long timestampNs, params (string Name, FieldValue Value)[] fields) =>
        new("river", [new("device", device)], fields.Select(f => new KeyValuePair<string, FieldValue>(f.Name, f.Value)), Base + timestampNs);
}
