namespace IotHub.Storage;

/// <summary>
/// The store's tables. Raw samples arrive in <c>recent_*</c> (split by value type so each column
/// stays typed, in arrival order: cheap appends); compaction seals them into <c>blocks</c>: one
/// row per series and span of <c>days</c> UTC days from <c>day</c> (days since the epoch),
/// holding those points compressed by <see cref="BlockCodec"/>; a span in progress may be held in
/// several <c>part</c>s (1, 2, ... each after the one before), merged into one (part 0) when it ends (well under a byte per point for
/// the city's data instead of ~30 in rows, see benchmarks/RESULTS-store.md). <c>samples_*</c> is the sorted tier of stores made before blocks;
/// compaction seals what it holds too. A (series, time) pair is in at most one raw row; a raw row
/// is always newer than a block point of the same pair (it was written after the block was
/// sealed) and wins over it, and compaction merges it into the block.
/// Rollups (1 minute, 1 hour) are computed from raw points while those are kept; when raw points
/// expire, their rollup rows are written to <c>rollup_1m</c> and <c>rollup_1h</c> in the same
/// transaction, so a bucket is answered either from raw points or from its rollup row.
/// <c>maintenance</c> holds when the last compaction ran (ns since the epoch).
/// </summary>
internal static class Schema
{
    public const long MinuteNs = 60_000_000_000L;
    public const long HourNs = 3_600_000_000_000L;
    public const long DayNs = 86_400_000_000_000L;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS series (
            id INTEGER PRIMARY KEY,
            measurement VARCHAR NOT NULL,
            tags VARCHAR NOT NULL,
            field VARCHAR NOT NULL,
            kind UTINYINT NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_f64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_i64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_u64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value UBIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS samples_str (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value VARCHAR NOT NULL);
        CREATE TABLE IF NOT EXISTS recent_f64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE NOT NULL);
        CREATE TABLE IF NOT EXISTS recent_i64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS recent_u64 (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value UBIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS recent_str (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value VARCHAR NOT NULL);
        CREATE TABLE IF NOT EXISTS rollup_1m (series_id INTEGER NOT NULL, bucket BIGINT NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL, sum DOUBLE NOT NULL, count BIGINT NOT NULL, last_ts BIGINT NOT NULL, last DOUBLE NOT NULL);
        CREATE TABLE IF NOT EXISTS rollup_1h (series_id INTEGER NOT NULL, bucket BIGINT NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL, sum DOUBLE NOT NULL, count BIGINT NOT NULL, last_ts BIGINT NOT NULL, last DOUBLE NOT NULL);
        CREATE TABLE IF NOT EXISTS blocks (series_id INTEGER NOT NULL, day INTEGER NOT NULL, days INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS maintenance (compacted_at BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS uplink_batches (device VARCHAR PRIMARY KEY, sequence UBIGINT NOT NULL);
        """;

    /// <summary>The <c>part</c> column of blocks, added to stores made before parts (run at open, after <see cref="Create"/>).</summary>
    public const string AddBlockParts = "ALTER TABLE blocks ADD COLUMN IF NOT EXISTS part INTEGER DEFAULT 0";

    /// <summary>
    /// Moves the uncompacted rollup partials of a store made before blocks (one table for both
    /// levels, or older, one per level) into the rollup tables. Runs at open, in one transaction,
    /// before <see cref="MergeRollupRows"/>.
    /// </summary>
    public static string MovePartials(bool perLevel) => perLevel
        ? """
          INSERT INTO rollup_1m SELECT * FROM rollup_1m_recent;
          INSERT INTO rollup_1h SELECT * FROM rollup_1h_recent;
          DROP TABLE rollup_1m_recent;
          DROP TABLE rollup_1h_recent;
          """
        : """
          INSERT INTO rollup_1m SELECT series_id, bucket, min, max, sum, count, last_ts, last FROM rollup_recent WHERE level = 0;
          INSERT INTO rollup_1h SELECT series_id, bucket, min, max, sum, count, last_ts, last FROM rollup_recent WHERE level = 1;
          DROP TABLE rollup_recent;
          """;

    /// <summary>Merges rows of the same (series, bucket) of a rollup table into one.</summary>
    public static string MergeRollupRows(string table) => $"""
        CREATE TEMP TABLE merged AS SELECT series_id, bucket, min(min) AS min, max(max) AS max, sum(sum) AS sum, sum(count) AS count, max(last_ts) AS last_ts, arg_max(last, last_ts) AS last FROM {table} GROUP BY series_id, bucket;
        DELETE FROM {table};
        INSERT INTO {table} SELECT * FROM merged ORDER BY series_id, bucket;
        DROP TABLE merged;
        """;

    /// <summary>Whether a table exists.</summary>
    public static string TableExists(string table) => $"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{table}'";

    public const string CountAll = """
        SELECT (SELECT count(*) FROM samples_f64) + (SELECT count(*) FROM samples_i64)
             + (SELECT count(*) FROM samples_u64) + (SELECT count(*) FROM samples_str)
             + (SELECT count(*) FROM recent_f64) + (SELECT count(*) FROM recent_i64)
             + (SELECT count(*) FROM recent_u64) + (SELECT count(*) FROM recent_str)
             + (SELECT CAST(coalesce(sum(count), 0) AS BIGINT) FROM blocks)
        """;

    /// <summary>Raw rows not sealed into blocks yet (both tiers).</summary>
    public const string CountRecent = """
        SELECT (SELECT count(*) FROM samples_f64) + (SELECT count(*) FROM samples_i64)
             + (SELECT count(*) FROM samples_u64) + (SELECT count(*) FROM samples_str)
             + (SELECT count(*) FROM recent_f64) + (SELECT count(*) FROM recent_i64)
             + (SELECT count(*) FROM recent_u64) + (SELECT count(*) FROM recent_str)
        """;

    /// <summary>SQL for floor(ts / width) * width on integers, also for negative times.</summary>
    public static string Floor(string column, long width)
    {
        var w = width.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"({column} - ((({column} % {w}) + {w}) % {w}))";
    }

    public static long FloorTo(long value, long width)
    {
        var remainder = value % width;
        return remainder < 0 ? value - remainder - width : value - remainder;
    }
}
