using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using IotHub.Storage;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Benchmarks;

/// <summary>
/// The commit loop's sustained cycle, as the MQTT load with 1,000 points per message drives it
/// (issue 3, acceptance 3): 60 series (20 detectors x volume, occupancy, speed), one reading a
/// second, written in commits of about <see cref="StorageOptions.MaxPointsPerCommit"/> values until
/// the raw rows reach <see cref="StorageOptions.CompactionRowThreshold"/> (set to one cycle's
/// values, 2.52 M; the default is 2 M), which the store then seals (read back, encode, insert
/// blocks, delete raw rows, checkpoint) before the next invocation's first commit. One invocation
/// is one such cycle; results are per value.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class StoreCycleBenchmarks : IDisposable
{
    private const int Detectors = 20;
    // 60 series x 42,000 points: 25 commits of 100,800 values or 10 of 252,000.
    private const int ValuesPerCycle = 2_520_000;
    private const long Second = 1_000_000_000;

    private string _directory = "";
    private DuckDbStore _store = null!;
    private long _next;

    /// <summary>Values per commit (the option's default, and the old one).</summary>
    [Params(100_000, 250_000)]
    public int CommitValues { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("iothub-bench-cycle-").FullName;
        var options = new StorageOptions { DataDirectory = _directory, MaxPointsPerCommit = CommitValues, CompactionRowThreshold = ValuesPerCycle, CompactionInterval = TimeSpan.FromDays(1) };
        _store = DuckDbStore.OpenAsync(options, NullLogger.Instance, CancellationToken.None).GetAwaiter().GetResult();
        _next = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-30));
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary>One cycle: 2.52 M values in commits of about <see cref="CommitValues"/>, then the compaction they trigger.</summary>
    [Benchmark(OperationsPerInvoke = ValuesPerCycle)]
    public async Task CommitAndSeal()
    {
        var commits = ValuesPerCycle / CommitValues;
        var perSeries = ValuesPerCycle / (Detectors * 3) / commits;
        for (var commit = 0; commit < commits; commit++)
        {
            var columns = new List<SeriesColumns>(Detectors * 3);
            var timestamps = new long[perSeries];
            for (var i = 0; i < perSeries; i++)
            {
                timestamps[i] = _next + (i * Second);
            }

            for (var d = 0; d < Detectors; d++)
            {
                KeyValuePair<string, string>[] tags = [new("lane", (d % 4).ToString(System.Globalization.CultureInfo.InvariantCulture)), new("detector", "d" + d.ToString(System.Globalization.CultureInfo.InvariantCulture))];
                var volume = new long[perSeries];
                var occupancy = new double[perSeries];
                var speed = new double[perSeries];
                for (var i = 0; i < perSeries; i++)
                {
                    volume[i] = i * 7 % 40;
                    occupancy[i] = i % 100 / 100.0;
                    speed[i] = 20.5 + (i % 50);
                }

                columns.Add(new SeriesColumns("traffic", tags, "volume", timestamps, volume, perSeries));
                columns.Add(new SeriesColumns("traffic", tags, "occupancy", timestamps, occupancy, perSeries));
                columns.Add(new SeriesColumns("traffic", tags, "speed", timestamps, speed, perSeries));
            }

            _next += perSeries * Second;
            await _store.WriteColumnsAsync(columns, CancellationToken.None);
        }
    }

    public void Dispose()
    {
        ScratchStore.Close(_store, _directory);
        _store = null!;
        GC.SuppressFinalize(this);
    }
}
