namespace IotHub.Storage;

/// <summary>Options of the remote engine (<see cref="VictoriaMetricsStore"/>).</summary>
public sealed class RemoteStoreOptions
{
    /// <summary>
    /// Where writes go (InfluxDB v2 write API): the single-node server, or a cluster's vminsert
    /// (<c>http://vminsert:8480/insert/0/influx</c>). Required.
    /// </summary>
    public Uri? WriteUrl { get; set; }

    /// <summary>
    /// Where reads go (Prometheus-compatible API root, the path before <c>/api/v1/...</c>): the
    /// single-node server, or a cluster's vmselect (<c>http://vmselect:8481/select/0/prometheus</c>). Required.
    /// </summary>
    public Uri? QueryUrl { get; set; }

    /// <summary>Token sent with writes (InfluxDB.Client needs one; VictoriaMetrics ignores it without auth). Default <c>iothub</c>.</summary>
    public string Token { get; set; } = "iothub";

    /// <summary>Organisation and bucket of the write API (VictoriaMetrics ignores them). Default <c>iothub</c>.</summary>
    public string Bucket { get; set; } = "iothub";

    /// <summary>Most points in one remote write. Default 10,000.</summary>
    public int BatchPoints { get; set; } = 10_000;

    /// <summary>
    /// Write requests waiting to be sent. When full, writers wait (backpressure, as with the
    /// embedded store). Default 1,024.
    /// </summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Attempts per batch before its writers get an error. Default 10.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Wait before the first retry; it doubles per attempt up to 5 s. Default 100 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Timeout of one remote request. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public void Validate()
    {
        if (WriteUrl is null || QueryUrl is null)
        {
            throw new ArgumentException("RemoteStore: WriteUrl and QueryUrl are required.");
        }

        if (string.IsNullOrEmpty(Token))
        {
            throw new ArgumentException("RemoteStore: Token must not be empty.");
        }

        if (BatchPoints is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"RemoteStore: BatchPoints must be 1..1000000, was {BatchPoints}.");
        }

        if (QueueCapacity is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"RemoteStore: QueueCapacity must be 1..1000000, was {QueueCapacity}.");
        }

        if (MaxAttempts is < 1 or > 100)
        {
            throw new ArgumentException($"RemoteStore: MaxAttempts must be 1..100, was {MaxAttempts}.");
        }

        if (RetryDelay <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("RemoteStore: RetryDelay and RequestTimeout must be positive.");
        }
    }
}
