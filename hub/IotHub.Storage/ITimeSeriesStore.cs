using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// What the hub needs from a time-series store: durable writes (a completed write is
/// acknowledged data), exactly-once uplink batches, latest values from memory, and range
/// queries. <see cref="DuckDbStore"/> is the embedded default; <see cref="VictoriaMetricsStore"/>
/// is the remote engine for cities that outgrow one machine.
/// </summary>
public interface ITimeSeriesStore : IAsyncDisposable
{
    /// <summary>Points committed since open.</summary>
    long PointsWritten { get; }

    /// <summary>Commits (group commits, or remote write batches) since open.</summary>
    long Commits { get; }

    /// <summary>Write requests waiting for a commit.</summary>
    int QueueDepth { get; }

    /// <summary>Every series known to the store.</summary>
    IReadOnlyCollection<SeriesInfo> Series { get; }

    /// <summary>Writes points; completes when they are durable.</summary>
    /// <exception cref="StorageException">Nothing of the write was stored.</exception>
    Task WriteAsync(IReadOnlyList<Point> points, CancellationToken cancellationToken);

    /// <summary>Writes an uplink batch exactly once (see <see cref="UplinkBatch"/>).</summary>
    /// <exception cref="StorageException">Nothing of the write was stored.</exception>
    Task<WriteOutcome> WriteAsync(IReadOnlyList<Point> points, UplinkBatch? batch, CancellationToken cancellationToken);

    /// <summary>The highest committed batch sequence of a device, or 0.</summary>
    ulong LastBatchSequence(string device);

    /// <summary>The newest value of every series of a device (series tagged <c>device=ID</c>).</summary>
    IReadOnlyList<LatestValue> GetLatestForDevice(string deviceId);

    /// <summary>The newest value of every series.</summary>
    IReadOnlyCollection<LatestValue> GetLatest();

    /// <summary>
    /// The newest values of many series in one call: every series of <paramref name="measurement"/>
    /// (and <paramref name="field"/> when given) that carries all of <paramref name="tags"/>.
    /// </summary>
    IReadOnlyList<LatestValue> GetLatest(string measurement, string? field, IReadOnlyDictionary<string, string> tags);

    /// <summary>When a device's newest stored point was taken (ns since the epoch), if any.</summary>
    long? GetDeviceLastSeen(string deviceId);

    /// <summary>Answers a range query; throws <see cref="QueryException"/> naming what is wrong with it.</summary>
    Task<IReadOnlyList<SeriesPoints>> QueryAsync(SeriesQuery query, CancellationToken cancellationToken);
}
