using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Storage.Tests;

/// <summary>The store's memory cap: validated at start, and a store under a small cap still writes and reads.</summary>
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
}
