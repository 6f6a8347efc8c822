namespace IotHub.Storage;

/// <summary>
/// The store's tables. Samples are split by value type so each column stays typed and compresses
/// well, and into two tiers: <c>recent_*</c> in arrival order (cheap appends) and <c>samples_*</c>
/// sorted by (series, time) in runs written by compaction (dense compression, cheap series scans).
/// A (series, time) pair is in at most one row of the two tiers: a write of an existing pair
/// deletes the old row in the same transaction (last write wins).
/// Rollups hold mergeable partial aggregates per (series, bucket): <c>rollup_recent</c> gets a
/// partial per commit and level (both levels in one table: every table a commit appends to costs
/// DuckDB about 2 ms per commit, see benchmarks/RESULTS-store.md), compaction merges them into
/// one row per bucket in <c>rollup_1m</c> and <c>rollup_1h</c>; readers merge both, so a
/// bucket's answer never depends on whether it was compacted yet.
/// </summary>
internal static class Schema
{
    public const long MinuteNs = 60_000_000_000L;
    public const long HourNs = 3_600_000_000_000L;

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
        CREATE TABLE IF NOT EXISTS rollup_recent (level UTINYINT NOT NULL, series_id INTEGER NOT NULL, bucket BIGINT NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL, sum DOUBLE NOT NULL, count BIGINT NOT NULL, last_ts BIGINT NOT NULL, last DOUBLE NOT NULL);
        CREATE TABLE IF NOT EXISTS uplink_batches (device VARCHAR PRIMARY KEY, sequence UBIGINT NOT NULL);
        """;

    /// <summary>The table of rollup partials not yet compacted, both levels.</summary>
    public const string RollupRecent = "rollup_recent";

    /// <summary>
    /// Moves the partials of stores made before <see cref="RollupRecent"/> existed (one table per
    /// level) into it. Runs at open, in one transaction; a no-op once done.
    /// </summary>
    public const string MigrateRollupRecent = """
        INSERT INTO rollup_recent SELECT 0, * FROM rollup_1m_recent;
        INSERT INTO rollup_recent SELECT 1, * FROM rollup_1h_recent;
        DROP TABLE rollup_1m_recent;
        DROP TABLE rollup_1h_recent;
        """;

    /// <summary>Whether a store still has the per-level recent rollup tables.</summary>
    public const string HasPerLevelRollupRecent = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'rollup_1m_recent'";

    public const string CountAll = """
        SELECT (SELECT count(*) FROM samples_f64) + (SELECT count(*) FROM samples_i64)
             + (SELECT count(*) FROM samples_u64) + (SELECT count(*) FROM samples_str)
             + (SELECT count(*) FROM recent_f64) + (SELECT count(*) FROM recent_i64)
             + (SELECT count(*) FROM recent_u64) + (SELECT count(*) FROM recent_str)
        """;

    public const string CountRecent = """
        SELECT (SELECT count(*) FROM recent_f64) + (SELECT count(*) FROM recent_i64)
             + (SELECT count(*) FROM recent_u64) + (SELECT count(*) FROM recent_str)
        """;

    /// <summary>Rows of every numeric table of both tiers as (series_id, ts, v DOUBLE), each filtered by <paramref name="where"/>.</summary>
    public static string NumericRows(string where)
    {
        var sql = new System.Text.StringBuilder(512);
        var first = true;
        foreach (var table in SampleTables.Numeric)
        {
            foreach (var name in new[] { table.Name, table.RecentName })
            {
                if (!first)
                {
                    sql.Append(" UNION ALL ");
                }

                first = false;
                sql.Append("SELECT series_id, ts, CAST(value AS DOUBLE) AS v FROM ").Append(name).Append(" WHERE ").Append(where);
            }
        }

        return sql.ToString();
    }

    /// <summary>SQL for floor(ts / width) * width on integers, also for negative times.</summary>
    public static string Floor(string column, long width)
    {
        var w = width.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"({column} - ((({column} % {w}) + {w}) % {w}))";
    }

    /// <summary>The level code of a rollup table in <see cref="RollupRecent"/>: 0 for <c>rollup_1m</c>, 1 for <c>rollup_1h</c>.</summary>
    public static int RollupLevel(string rollupTable) => rollupTable == "rollup_1h" ? 1 : 0;

    /// <summary>The uncompacted partials of one rollup table, as a relation with that table's columns.</summary>
    public static string RecentPartials(string rollupTable) =>
        $"(SELECT series_id, bucket, min, max, sum, count, last_ts, last FROM {RollupRecent} WHERE level = {RollupLevel(rollupTable)})";

    public static long FloorTo(long value, long width)
    {
        var remainder = value % width;
        return remainder < 0 ? value - remainder - width : value - remainder;
    }
}
