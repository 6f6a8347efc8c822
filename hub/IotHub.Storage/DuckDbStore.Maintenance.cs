using System.Globalization;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;

namespace IotHub.Storage;

/// <summary>
/// Compaction, retention and Parquet export. Compaction and retention change rows the commit
/// loop also changes (a late write deletes the row it replaces), so they run on the commit loop,
/// between commits, never concurrently with a write transaction.
/// </summary>
public sealed partial class DuckDbStore
{
    /// <summary>
    /// Rewrites the arrival-order tier sorted by series and time and merges rollup partials.
    /// Returns the number of raw rows moved. Runs between commits.
    /// </summary>
    public Task<long> CompactAsync(CancellationToken cancellationToken) => RunOnCommitLoopAsync(Compact, cancellationToken);

    /// <summary>Deletes data older than its measurement's retention now. Returns the rows deleted.</summary>
    public Task<long> ApplyRetentionAsync(CancellationToken cancellationToken) => RunOnCommitLoopAsync(ApplyRetention, cancellationToken);

    /// <summary>Folds the WAL into the database file (between commits).</summary>
    public Task CheckpointAsync(CancellationToken cancellationToken) => RunOnCommitLoopAsync(
        () =>
        {
            Execute("CHECKPOINT");
            return 0;
        },
        cancellationToken);

    /// <summary>
    /// Exports the raw points of [<paramref name="fromNs"/>, <paramref name="toNs"/>) (of one
    /// measurement, or all) to a Parquet file (zstd): columns measurement, tags, field, ts (ns since
    /// the epoch), value (DOUBLE; booleans 0/1) and text (string fields), sorted by series and time.
    /// Returns the number of rows written. Reads committed data on a connection of its own.
    /// </summary>
    public async Task<long> ExportParquetAsync(string path, long fromNs, long toNs, string? measurement, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (toNs <= fromNs)
        {
            throw new QueryException($"the range is empty or inverted: from {fromNs} is not before to {toNs}");
        }

        await WaitForAppliedAsync(cancellationToken);
        var where = Invariant($"ts >= {fromNs} AND ts < {toNs}");
        var parts = new List<string>();
        foreach (var table in SampleTables.All)
        {
            foreach (var name in new[] { table.Name, table.RecentName })
            {
                parts.Add(table.Numeric
                    ? $"SELECT series_id, ts, CAST(value AS DOUBLE) AS value, CAST(NULL AS VARCHAR) AS text FROM {name} WHERE {where}"
                    : $"SELECT series_id, ts, CAST(NULL AS DOUBLE) AS value, value AS text FROM {name} WHERE {where}");
            }
        }

        var filter = measurement is null ? "" : " WHERE s.measurement = " + SqlString(measurement);
        var sql = $"COPY (SELECT s.measurement, s.tags, s.field, x.ts, x.value, x.text FROM ({string.Join(" UNION ALL ", parts)}) x JOIN series s ON s.id = x.series_id{filter} ORDER BY s.measurement, s.tags, s.field, x.ts) TO {SqlString(Path.GetFullPath(path))} (FORMAT parquet, COMPRESSION zstd)";
        await using var connection = new DuckDBConnection(_connection.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal async Task<long> RunOnCommitLoopAsync(Func<long> action, CancellationToken cancellationToken)
    {
        await WaitForAppliedAsync(cancellationToken);
        var request = new WriteRequest(RequestKind.Maintenance, null, null, null, 0) { Maintenance = action };
        await EnqueueAsync(request, cancellationToken);
        await request.Completion.Task;
        return request.MaintenanceResult;
    }

    private void RunMaintenance(WriteRequest request)
    {
        try
        {
            request.MaintenanceResult = request.Maintenance!();
            request.Completion.TrySetResult();
        }
        catch (Exception ex) when (ex is DuckDBException or InvalidOperationException or IOException)
        {
            LogMaintenanceFailed(_logger, ex);
            RollbackQuietly();
            request.Completion.TrySetException(new StorageException("Maintenance failed: " + ex.Message, ex));
        }
    }

    private void RunAutomaticMaintenance()
    {
        try
        {
            if (_recentRows >= _options.CompactionRowThreshold)
            {
                Compact();
            }

            var now = _time.GetUtcNow();
            if (now - _lastRetentionSweep >= _options.RetentionSweepInterval)
            {
                _lastRetentionSweep = now;
                ApplyRetention();
            }
        }
        catch (Exception ex) when (ex is DuckDBException or InvalidOperationException or IOException)
        {
            // Nothing acknowledged depends on it: the data stays in the recent tier and is tried again later.
            LogMaintenanceFailed(_logger, ex);
            RollbackQuietly();
        }
    }

    private long Compact()
    {
        long moved = 0;
        using (var transaction = _connection.BeginTransaction())
        {
            foreach (var table in SampleTables.All)
            {
                moved += ExecuteCount($"INSERT INTO {table.Name} SELECT series_id, ts, value FROM {table.RecentName} ORDER BY series_id, ts");
                Execute($"DELETE FROM {table.RecentName}");
            }

            foreach (var rollup in new[] { "rollup_1m", "rollup_1h" })
            {
                var level = Schema.RollupLevel(rollup);
                var recent = Schema.RecentPartials(rollup);

                // Compacted rows of buckets that got new partials join them, so each bucket ends as one row.
                var low = ScalarLong($"SELECT coalesce(min(bucket), 0) FROM {recent}");
                var touched = $"(SELECT DISTINCT series_id, bucket FROM {recent}) k";
                Execute(Invariant($"INSERT INTO {Schema.RollupRecent} SELECT {level}, r.* FROM {rollup} r SEMI JOIN {touched} ON r.series_id = k.series_id AND r.bucket = k.bucket WHERE r.bucket >= {low}"));
                Execute(Invariant($"DELETE FROM {rollup} USING {touched} WHERE {rollup}.bucket >= {low} AND {rollup}.series_id = k.series_id AND {rollup}.bucket = k.bucket"));
                Execute($"INSERT INTO {rollup} SELECT series_id, bucket, min(min), max(max), sum(sum), sum(count), max(last_ts), arg_max(last, last_ts) FROM {recent} GROUP BY series_id, bucket ORDER BY series_id, bucket");
            }

            Execute($"DELETE FROM {Schema.RollupRecent}");

            transaction.Commit();
        }

        _recentRows = 0;
        Interlocked.Increment(ref _compactions);
        LogCompacted(_logger, moved);
        return moved;
    }

    private long ApplyRetention()
    {
        var nowNs = Telemetry.TimeUnits.FromDateTimeOffset(_time.GetUtcNow());
        var groups = new Dictionary<(TimeSpan, TimeSpan, TimeSpan), List<string>>();
        var measurements = new HashSet<string>(StringComparer.Ordinal);
        foreach (var series in _seriesByKey.Values)
        {
            measurements.Add(series.Measurement);
        }

        foreach (var measurement in measurements)
        {
            var retention = _options.RetentionOf(measurement);
            if (!groups.TryGetValue(retention, out var list))
            {
                groups[retention] = list = [];
            }

            list.Add(measurement);
        }

        long deleted = 0;
        using var transaction = _connection.BeginTransaction();
        foreach (var ((raw, minute, hour), names) in groups)
        {
            var inList = string.Join(',', names.Select(SqlString));
            var ids = $"series_id IN (SELECT id FROM series WHERE measurement IN ({inList}))";
            var rawCutoff = Schema.FloorTo(nowNs - (raw.Ticks * 100), Schema.HourNs);
            foreach (var table in SampleTables.All)
            {
                deleted += ExecuteCount(Invariant($"DELETE FROM {table.Name} WHERE ts < {rawCutoff} AND {ids}"));
                deleted += ExecuteCount(Invariant($"DELETE FROM {table.RecentName} WHERE ts < {rawCutoff} AND {ids}"));
            }

            foreach (var (rollup, keep) in new[] { ("rollup_1m", minute), ("rollup_1h", hour) })
            {
                var cutoff = Schema.FloorTo(nowNs - (keep.Ticks * 100), Schema.HourNs);
                deleted += ExecuteCount(Invariant($"DELETE FROM {rollup} WHERE bucket < {cutoff} AND {ids}"));
                deleted += ExecuteCount(Invariant($"DELETE FROM {Schema.RollupRecent} WHERE level = {Schema.RollupLevel(rollup)} AND bucket < {cutoff} AND {ids}"));
            }
        }

        transaction.Commit();
        if (deleted > 0)
        {
            LogRetention(_logger, deleted);
        }

        return deleted;
    }

    private long ExecuteCount(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    private long ScalarLong(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    // A SQL string literal: single quotes doubled. Used for names and paths where DuckDB takes no parameters (COPY).
    private static string SqlString(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Compacted {Rows} rows into sorted runs")]
    private static partial void LogCompacted(ILogger logger, long rows);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Retention deleted {Rows} rows")]
    private static partial void LogRetention(ILogger logger, long rows);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Store maintenance failed; it will be tried again")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
