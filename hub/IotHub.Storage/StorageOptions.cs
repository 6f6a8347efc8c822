namespace IotHub.Storage;

/// <summary>Options of the embedded store. Defaults suit one hub on a small machine.</summary>
public sealed class StorageOptions
{
    /// <summary>Folder holding the database file (<c>iothub.duckdb</c>). Required.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// Write requests waiting for the commit loop. When full, writers wait (backpressure reaches
    /// the listeners, which stop reading or delay acks). Default 4,096.
    /// </summary>
    public int WriteQueueCapacity { get; set; } = 4096;

    /// <summary>
    /// Most points (values) one commit takes from the queue or the ingest log (group commit).
    /// Default 250,000: under sustained load a commit then appends more than one of DuckDB's row
    /// groups (122,880 rows) to a table, and costs the commit loop about a fifth less CPU per
    /// value than commits of 100,000 (benchmarks/RESULTS.md, "Sustained MQTT ingest: the commit loop").
    /// </summary>
    public int MaxPointsPerCommit { get; set; } = 250_000;

    /// <summary>
    /// How long raw points are kept, unless <see cref="Retention"/> says otherwise for their
    /// measurement. Points older than this when they arrive are acknowledged and discarded
    /// (counted in <see cref="DuckDbStore.PointsExpired"/>). Default 365 days.
    /// </summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How long 1-minute rollups are kept; at least <see cref="RawRetention"/>. Default 3 years (1,095 days).</summary>
    public TimeSpan MinuteRollupRetention { get; set; } = TimeSpan.FromDays(3 * 365);

    /// <summary>How long 1-hour rollups are kept; at least the minute rollups' retention. Default 20 years (7,300 days).</summary>
    public TimeSpan HourRollupRetention { get; set; } = TimeSpan.FromDays(20 * 365);

    /// <summary>Retention per measurement name, overriding the three defaults above. Default: none.</summary>
    public Dictionary<string, MeasurementRetention> Retention { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often expired data is deleted (between commits). Default 10 minutes.</summary>
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Raw rows (since the last compaction) that trigger a compaction: every raw row is sealed into
    /// compressed blocks (one per series and span of days, about 0.7 byte per point instead of
    /// ~12 as rows; a span in progress gets what arrived as one more part), except those of new
    /// series in their first hour (read only from twice this many raw rows on). A compaction holds
    /// up commits for its duration (about 0.4 us per raw row sealed), and afterwards copies the
    /// database into a fresh file when 5 % of it is free. Default 2,000,000.
    /// </summary>
    public int CompactionRowThreshold { get; set; } = 2_000_000;

    /// <summary>
    /// Longest time raw rows wait for a compaction when fewer than
    /// <see cref="CompactionRowThreshold"/> arrive (the store wakes itself when writes stop), so a
    /// running store holds little more than compressed blocks. Default 1 minute.
    /// </summary>
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Days of sealed blocks (before today, UTC) also kept in memory, compressed as on disk (about
    /// 0.7 byte per point: some 60 MB for 40 days of the default city), so queries over them read
    /// no SQL (a query reaching further back reads the database). 0 keeps none. Default 40.
    /// </summary>
    public int HotBlockDays { get; set; } = 40;

    /// <summary>
    /// WAL size (MB) at which DuckDB checkpoints inside a commit. Larger values make fewer,
    /// longer checkpoint stalls and a longer WAL replay after a crash. Default 256.
    /// </summary>
    public int CheckpointWalMegabytes { get; set; } = 256;

    /// <summary>
    /// Memory DuckDB may use for its buffer pool and query operators (MB); beyond it, it evicts
    /// cached blocks and spills to disk. DuckDB's own default is 80% of the machine's RAM, which
    /// a 90-day backfill filled (7.4 GB here). Default 2048.
    /// </summary>
    public int MemoryLimitMegabytes { get; set; } = 2048;

    /// <summary>
    /// Most series one device (series tagged <c>device=ID</c>) may have; a write that would create
    /// more is refused whole (<see cref="WriteRefusal.TooManySeries"/>). A device of the city has
    /// at most a few dozen; the limit stops one that invents tag values. Default 1000.
    /// </summary>
    public int MaxSeriesPerDevice { get; set; } = 1000;

    /// <summary>
    /// Whether writes go through the durable ingest log (folder <c>ingest-log</c> next to the
    /// database): a write is acknowledged once it is checked and fsync'd to the log (one fsync
    /// serves every writer waiting), and a single applier loads the log into the database in large
    /// transactions. Without it every acknowledged write waits for a database commit, whose fixed
    /// cost makes small writes several times slower. Default true.
    /// </summary>
    public bool IngestLog { get; set; } = true;

    /// <summary>
    /// Most bytes of the ingest log acknowledged and not yet applied to the database (MB). Above
    /// it, writers wait for the applier (TCP stops reading, MQTT acks wait, HTTP and gRPC writes
    /// that wait more than 5 s get 503 with Retry-After); the log's records waiting are kept in
    /// memory too, so this bounds that memory. Queries wait until what was acknowledged before
    /// them is applied, at most about this much work. Default 64.
    /// </summary>
    public int IngestLogMaxBacklogMegabytes { get; set; } = 64;

    /// <summary>Size (MB) at which the ingest log starts a new segment file; applied segments are deleted. Default 32.</summary>
    public int IngestLogSegmentMegabytes { get; set; } = 32;

    /// <summary>
    /// Nice value (0..19; Linux only) of the thread that commits to the database and seals blocks.
    /// Above 0, when the cores are busy, acknowledging writes (decoding, the ingest log) gets them
    /// first and applying the log catches up when they are not, within
    /// <see cref="IngestLogMaxBacklogMegabytes"/> (then writers wait and the commits have the cores).
    /// Default 19; 0 keeps the thread's priority.
    /// </summary>
    public int CommitThreadNice { get; set; } = 19;

    /// <summary>The retention of a measurement: its override where set, else the defaults.</summary>
    public (TimeSpan Raw, TimeSpan Minute, TimeSpan Hour) RetentionOf(string measurement)
    {
        if (Retention.TryGetValue(measurement, out var custom))
        {
            return (custom.Raw ?? RawRetention, custom.MinuteRollup ?? MinuteRollupRetention, custom.HourRollup ?? HourRollupRetention);
        }

        return (RawRetention, MinuteRollupRetention, HourRollupRetention);
    }

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("Storage: DataDirectory is required.");
        }

        if (WriteQueueCapacity is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"Storage: WriteQueueCapacity must be 1..1000000, was {WriteQueueCapacity}.");
        }

        if (MaxPointsPerCommit is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"Storage: MaxPointsPerCommit must be 1..10000000, was {MaxPointsPerCommit}.");
        }

        if (CompactionRowThreshold is < 1_000 or > 100_000_000)
        {
            throw new ArgumentException($"Storage: CompactionRowThreshold must be 1000..100000000, was {CompactionRowThreshold}.");
        }

        if (CompactionInterval < TimeSpan.FromSeconds(1) || CompactionInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"Storage: CompactionInterval must be 1 s..1 day, was {CompactionInterval}.");
        }

        if (CheckpointWalMegabytes is < 1 or > 65_536)
        {
            throw new ArgumentException($"Storage: CheckpointWalMegabytes must be 1..65536, was {CheckpointWalMegabytes}.");
        }

        if (MaxSeriesPerDevice is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"Storage: MaxSeriesPerDevice must be 1..10000000, was {MaxSeriesPerDevice}.");
        }

        if (MemoryLimitMegabytes is < 128 or > 1_048_576)
        {
            throw new ArgumentException($"Storage: MemoryLimitMegabytes must be 128..1048576, was {MemoryLimitMegabytes}.");
        }

        if (IngestLogMaxBacklogMegabytes is < 1 or > 65_536)
        {
            throw new ArgumentException($"Storage: IngestLogMaxBacklogMegabytes must be 1..65536, was {IngestLogMaxBacklogMegabytes}.");
        }

        if (CommitThreadNice is < 0 or > 19)
        {
            throw new ArgumentException($"Storage: CommitThreadNice must be 0..19, was {CommitThreadNice}.");
        }

        if (IngestLogSegmentMegabytes is < 1 or > 4_096)
        {
            throw new ArgumentException($"Storage: IngestLogSegmentMegabytes must be 1..4096, was {IngestLogSegmentMegabytes}.");
        }

        if (HotBlockDays is < 0 or > 3650)
        {
            throw new ArgumentException($"Storage: HotBlockDays must be 0..3650, was {HotBlockDays}.");
        }

        if (RetentionSweepInterval < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"Storage: RetentionSweepInterval must be at least 1 s, was {RetentionSweepInterval}.");
        }

        ValidateRetention("Storage", RawRetention, MinuteRollupRetention, HourRollupRetention);
        foreach (var (measurement, _) in Retention)
        {
            var (raw, minute, hour) = RetentionOf(measurement);
            ValidateRetention($"Storage: Retention:{measurement}", raw, minute, hour);
        }
    }

    private static void ValidateRetention(string prefix, TimeSpan raw, TimeSpan minute, TimeSpan hour)
    {
        if (raw < TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"{prefix}: raw retention must be at least 1 hour, was {raw}.");
        }

        // Rollups are kept longer than raw data: a rollup bucket is recomputed from raw points
        // when late data arrives, which needs the raw points of that bucket to still be there.
        if (minute < raw)
        {
            throw new ArgumentException($"{prefix}: 1-minute rollup retention ({minute}) must be at least the raw retention ({raw}).");
        }

        if (hour < minute)
        {
            throw new ArgumentException($"{prefix}: 1-hour rollup retention ({hour}) must be at least the 1-minute rollup retention ({minute}).");
        }
    }
}
