using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Storage.Tests;

/// <summary>Tests that look at the process's threads: run alone, so no other test's store adds one.</summary>
[CollectionDefinition(nameof(CommitThreadTests), DisableParallelization = true)]
public sealed class CommitThreadGroup;

/// <summary>The store's commit loop runs on a thread of its own at <see cref="StorageOptions.CommitThreadNice"/>.</summary>
[Collection(nameof(CommitThreadTests))]
public sealed class CommitThreadTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-commit-thread-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(19)]
    [InlineData(0)]
    public async Task OpenAsync_CommitThreadNice_CommitThreadRunsAtThatNiceValue(int nice)
    {
        Assert.True(OperatingSystem.IsLinux(), "the hub's store runs on Linux; nice values are read from /proc");
        var before = CommitThreads();
        var options = new StorageOptions { DataDirectory = _directory, CommitThreadNice = nice };
        await using var store = await DuckDbStore.OpenAsync(options, NullLogger.Instance, CancellationToken.None);
        await store.WriteAsync([new Point("river", [new("device", "g1")], [new("level", FieldValue.FromFloat(1))], TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow))], CancellationToken.None);

        var commit = Assert.Single(CommitThreads().Except(before));

        // /proc/self/task/{tid}/stat: the nice value is field 19, the 17th after the parenthesized name.
        var stat = File.ReadAllText(Path.Combine(commit, "stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(nice, int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string[] CommitThreads() =>
        [.. Directory.GetDirectories("/proc/self/task").Where(task => NameOf(task) == "store-commit")];

    private static string? NameOf(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).Trim();
        }
        catch (IOException)
        {
            // The thread ended while the list was read.
            return null;
        }
    }
}
