using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Storage.Tests;

/// <summary>
/// The store's memory cap and series-per-device limit: validated at start; a store under a small
/// memory cap still writes and reads; a device over its series limit is refused whole, also after a restart.
/// </summary>
public sealed class StorageOptionsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-options-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(64)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_MemoryLimitOutOfRange_NamesTheOption(int megabytes)
    {
        var options = new StorageOptions { DataDirectory = _directory, MemoryLimitMegabytes = megabytes };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("MemoryLimitMegabytes must be 128..1048576", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(20)]
    public void Validate_CommitThreadNiceOutOfRange_NamesTheOption(int nice)
    {
        var options = new StorageOptions { DataDirectory = _directory, CommitThreadNice = nice };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("CommitThreadNice must be 0..19", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_SmallMemoryLimit_WritesAndReads()
    {
        var options = new StorageOptions { DataDirectory = _directory, MemoryLimitMegabytes = 128 };
        await using var store = await DuckDbStore.OpenAsync(options, NullLogger.Instance, CancellationToken.None);
        var now = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var point = new Point("river", [new("device", "g1")], [new("level", FieldValue.FromFloat(1.25))], now);

        await store.WriteAsync([point], CancellationToken.None);
        var answer = await store.QueryAsync(new SeriesQuery("river", "level", new Dictionary<string, string>(), now - 1, now + 1, null, Aggregate.Mean, 10), CancellationToken.None);

        Assert.Equal(1.25, Assert.Single(Assert.Single(answer).Points).Value);
    }

    [Fact]
    public async Task WriteAsync_DeviceOverItsSeriesLimit_RefusedWholeAlsoAfterRestart()
    {
        var options = new StorageOptions { DataDirectory = _directory, MaxSeriesPerDevice = 3 };
        var now = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow);
        await using (var store = await DuckDbStore.OpenAsync(options, NullLogger.Instance, CancellationToken.None))
        {
            await store.WriteAsync([Reading("m1", "a", now, ("level", 1), ("rain", 2)), Reading("m1", "b", now, ("level", 3))], CancellationToken.None);

            var refused = await Assert.ThrowsAsync<WriteRefusedException>(() => store.WriteAsync(
                [Reading("m1", "a", now + 1, ("level", 4)), Reading("m1", "c", now, ("level", 5))], CancellationToken.None));
            await store.WriteAsync([Reading("m2", "c", now, ("level", 6))], CancellationToken.None);

            Assert.Equal(WriteRefusal.TooManySeries, refused.Refusal);
            Assert.Contains("Device 'm1' has 3 series", refused.Message, StringComparison.Ordinal);
            Assert.Equal(4, await store.CountRowsAsync(CancellationToken.None));
        }

        await using var reopened = await DuckDbStore.OpenAsync(options, NullLogger.Instance, CancellationToken.None);
        var again = await Assert.ThrowsAsync<WriteRefusedException>(() => reopened.WriteAsync([Reading("m1", "d", now, ("level", 7))], CancellationToken.None));
        await reopened.WriteAsync([Reading("m1", "b", now + 1, ("level", 8))], CancellationToken.None);

        Assert.Equal(WriteRefusal.TooManySeries, again.Refusal);
        Assert.Equal(5, await reopened.CountRowsAsync(CancellationToken.None));
    }

    private static Point Reading(string device, string site, long ts, params (string Field, double Value)[] fields) =>
        new("river", [new("device", device), new("site", site)], [.. fields.Select(f => new KeyValuePair<string, FieldValue>(f.Field, FieldValue.FromFloat(f.Value)))], ts);
}
