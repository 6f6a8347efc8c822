using BenchmarkDotNet.Attributes;
using IotHub.Storage;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Benchmarks;

/// <summary>
/// Ingest into the embedded store alone (acceptance 3 of issue 4: at least 3 M points/s): one
/// durable group commit per invocation, through the column path and through <see cref="Point"/>
/// objects. Results are per point (<see cref="BenchmarkAttribute.OperationsPerInvoke"/>).
/// Compaction is deferred past the run (it is measured by benchmarks/store/compare.sh).
/// </summary>
[MemoryDiagnoser]
public class StoreIngestBenchmarks : IDisposable
{
    private const int SeriesCount = 1_000;
    private const int PointsPerSeries = 1_000;
    private const int PointObjects = 100_000;
    private const long Second = 1_000_000_000;

    private string _directory = "";
    private DuckDbStore _store = null!;
    private SeriesColumns[] _columns = [];
    private long[][] _timestamps = [];
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("iothub-bench-store-").FullName;
        var options = new StorageOptions { DataDirectory = _directory, MaxPointsPerCommit = 10_000_000, CompactionRowThreshold = 100_000_000, CompactionInterval = TimeSpan.FromDays(1) };
        _store = DuckDbStore.OpenAsync(options, NullLogger.Instance, CancellationToken.None).GetAwaiter().GetResult();
        _next = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-300));
        _timestamps = new long[SeriesCount][];
        _columns = new SeriesColumns[SeriesCount];
        for (var s = 0; s < SeriesCount; s++)
        {
            _timestamps[s] = new long[PointsPerSeries];
            var values = new double[PointsPerSeries];
            for (var i = 0; i < PointsPerSeries; i++)
            {
                values[i] = Math.Round(1.5 + Math.Sin((i + s) / 50.0), 2);
            }

            _columns[s] = new SeriesColumns("river", [new("device", "g" + s)], "level", _timestamps[s], values, PointsPerSeries);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary>1,000 series x 1,000 points in one commit, columns.</summary>
    [Benchmark(OperationsPerInvoke = SeriesCount * PointsPerSeries)]
    public Task WriteColumns()
    {
        // New, later timestamps each time: the data stays in order, as sensor data mostly is.
        for (var s = 0; s < SeriesCount; s++)
        {
            var ts = _timestamps[s];
            for (var i = 0; i < PointsPerSeries; i++)
            {
                ts[i] = _next + (i * Second);
            }
        }

        _next += PointsPerSeries * Second;
        return _store.WriteColumnsAsync(_columns, CancellationToken.None);
    }

    /// <summary>100,000 Point objects (one field each) in one commit.</summary>
    [Benchmark(OperationsPerInvoke = PointObjects)]
    public Task WritePoints()
    {
        var points = new List<Point>(PointObjects);
        for (var i = 0; i < PointObjects; i++)
        {
            points.Add(new Point("river", [new("device", "g" + (i % SeriesCount))], [new("level", FieldValue.FromFloat(i % 100 / 10.0))], _next + ((i / SeriesCount) * Second)));
        }

        _next += (PointObjects / SeriesCount) * Second;
        return _store.WriteAsync(points, CancellationToken.None);
    }

    public void Dispose()
    {
        ScratchStore.Close(_store, _directory);
        _store = null!;
        GC.SuppressFinalize(this);
    }
}
