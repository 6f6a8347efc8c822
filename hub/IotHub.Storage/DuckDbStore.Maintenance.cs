using System.Globalization;
using DuckDB.NET.Data;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging;

namespace IotHub.Storage;

/// <summary>
/// Compaction, retention and Parquet export. Compaction and retention change rows the commit
/// loop also changes (a late write deletes the row it replaces), so they run on the commit loop,
/// between commits, never concurrently with a write transaction. Export reads blocks and raw
/// rows as queries do.
/// </summary>
public sealed partial class DuckDbStore
{
    /// <summary>
    /// Seals every raw row into compressed blocks (one per series and span of days, merged with
    /// the block already there), the spans in progress too, each into one block. Returns the
    /// number of raw rows moved. Runs between commits. (Automatic compaction also seals every raw
    /// row, but keeps a span in progress in parts, see SealRawRows.)
    /// </summary>
    public Task<long> CompactAsync(CancellationToken cancellationToken) => RunOnCommitLoopAsync(() => Compact(all: true), cancellationToken);

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
        var series = _seriesByKey.Values.Where(s => measurement is null || string.Equals(s.Measurement, measurement, StringComparison.Ordinal)).OrderBy(s => s.Id).ToList();
        using var lease = await EnterReadAsync(cancellationToken);
        await using var connection = OpenSecondConnection();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE TEMP TABLE export_rows (series_id INTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE, text VARCHAR)";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // Blocks and raw rows merged per series (as queries see them), a slice of series at a time.
        var pool = new BlockPointsPool(4L * _options.CompactionRowThreshold);
        foreach (var slice in series.Chunk(SeriesPerSealPass))
        {
            pool.ReturnAll();
            var points = await ReadPointsAsync(connection, slice, fromNs, toNs, pool, cancellationToken);
            using var appender = connection.CreateAppender("export_rows");
            foreach (var (seriesId, values) in points)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    var row = appender.CreateRow().AppendValue(seriesId).AppendValue(values.Timestamps[i]);
                    if (values.Kind == FieldKind.String)
                    {
                        row.AppendNullValue().AppendValue(values.Strings![i]).EndRow();
                    }
                    else
                    {
                        row.AppendValue(values.NumberAt(i)).AppendNullValue().EndRow();
                    }
                }
            }
        }

        await using var copy = connection.CreateCommand();
        copy.CommandText = $"COPY (SELECT s.measurement, s.tags, s.field, x.ts, x.value, x.text FROM export_rows x JOIN series s ON s.id = x.series_id ORDER BY s.measurement, s.tags, s.field, x.ts) TO {SqlString(Path.GetFullPath(path))} (FORMAT parquet, COMPRESSION zstd)";
        return await copy.ExecuteNonQueryAsync(cancellationToken);
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
        catch (Exception ex) when (ex is DuckDBException or InvalidOperationException or IOException or UnauthorizedAccessException)
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
            var now = _time.GetUtcNow();
            if (_recentRows >= _nextCompactionRows)
            {
                Compact(all: false);
            }
            else if (_recentRows > 0 && now - _lastCompaction >= _options.CompactionInterval)
            {
                // Writes slower than the row threshold: sealed all the same, so raw rows stay few.
                Compact(all: false);
            }

            if (now - _lastRetentionSweep >= _options.RetentionSweepInterval)
            {
                _lastRetentionSweep = now;
                ApplyRetention();
            }
        }
        catch (Exception ex) when (ex is DuckDBException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Nothing acknowledged depends on it: the data stays in the recent tier and is tried again later.
            LogMaintenanceFailed(_logger, ex);
            RollbackQuietly();
        }
    }

    /// <summary>
    /// Seals the raw rows due (see <see cref="SealRawRows"/>), checkpoints, and copies the database
    /// to a fresh file when that pays (see <see cref="Reclaim"/>). <paramref name="idle"/>: the
    /// store went idle after the file grew (see <see cref="TidyWhenIdle"/>): spans in progress get
    /// their parts merged too, and the copy is tried whatever the free blocks.
    /// </summary>
    private long Compact(bool all, bool idle = false)
    {
        var moved = SealRawRows(all, mergeParts: idle);
        Interlocked.Exchange(ref _recentRows, ScalarLong(Schema.CountRecent));
        LoadRawBounds();

        // Rows of spans in progress left raw wait for a threshold more (or the interval).
        _nextCompactionRows = _recentRows + _options.CompactionRowThreshold;
        _lastCompaction = _time.GetUtcNow();
        Interlocked.Increment(ref _compactions);
        LogCompacted(_logger, moved);

        // The blocks DuckDB frees (sealed raw rows, replaced blocks) are reused only once a
        // checkpoint wrote the tables without them; checkpointing here also keeps the WAL small.
        // DuckDB allocates the lowest free block first and cuts free blocks off the end of the
        // file at a checkpoint that changed something: the second one (recording when this
        // compaction ran) gives back what the first freed at the end of the file.
        try
        {
            Execute("CHECKPOINT");
            if (FileBlocks().Free > 0)
            {
                Execute(Invariant($"DELETE FROM maintenance; INSERT INTO maintenance VALUES ({TimeUnits.FromDateTimeOffset(_lastCompaction)}); CHECKPOINT"));
            }
        }
        catch (DuckDBException ex)
        {
            LogCheckpointSkipped(_logger, ex);
        }

        try
        {
            Reclaim(idle);
        }
        catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
        {
            // The store file stays as it is; the next compaction tries again.
            LogMaintenanceFailed(_logger, ex);
        }

        return moved;
    }

    /// <summary>
    /// Run when writes stopped for a whole <see cref="StorageOptions.CompactionInterval"/> after some
    /// came (see <see cref="WakeForCompactionAsync"/>): if the file grew by at least
    /// <see cref="IdleCopyMinimumGrowth"/> since it was last copied, the store merges the parts of its
    /// spans in progress and copies itself to a fresh file, kept if smaller. After a burst such as a
    /// backfill the file holds partly filled blocks that no free-block count shows (a 30-day city:
    /// 183 blocks, 1 free, against 172 for a fresh copy); while writes go on, the free blocks
    /// (<see cref="ReclaimFreeFraction"/>) decide. Returns the raw rows sealed on the way.
    /// </summary>
    private long TidyWhenIdle() => IdleCopyDue() ? Compact(all: false, idle: true) : 0;

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

        // Expiring raw rows are sealed first, so they become rollup rows with the blocks' points.
        var byId = _seriesByKey.Values.ToDictionary(s => s.Id);
        if (_recentRows > 0 && groups.Any(g => ScalarLong(RawRowsBefore(RawCutoff(g.Key.Item1, nowNs), SeriesIdsOf(g.Value))) > 0))
        {
            Compact(all: true);
        }

        if (_options.HotBlockDays > 0)
        {
            _hot.Advance(DayOf(nowNs) - _options.HotBlockDays);
        }

        long deleted;
        try
        {
            using var transaction = _connection.BeginTransaction();
            deleted = ExpireAll(groups, nowNs, byId);
            transaction.Commit();
        }
        catch
        {
            // The transaction was rolled back (disposed): memory follows the database again.
            RollbackQuietly();
            ReloadHotBlocks();
            throw;
        }

        if (deleted > 0)
        {
            LogRetention(_logger, deleted);
        }

        return deleted;
    }

    private long ExpireAll(Dictionary<(TimeSpan, TimeSpan, TimeSpan), List<string>> groups, long nowNs, Dictionary<int, SeriesInfo> byId)
    {
        long deleted = 0;
        foreach (var ((raw, minute, hour), names) in groups)
        {
            var seriesIds = SeriesIdsOf(names);
            var ids = $"series_id IN ({seriesIds})";
            deleted += ExpireBlocks(seriesIds, RawCutoff(raw, nowNs), byId);
            foreach (var (rollup, keep) in new[] { ("rollup_1m", minute), ("rollup_1h", hour) })
            {
                var cutoff = Schema.FloorTo(nowNs - (keep.Ticks * 100), Schema.HourNs);
                deleted += ExecuteCount(Invariant($"DELETE FROM {rollup} WHERE bucket < {cutoff} AND {ids}"));
            }
        }

        return deleted;
    }

    /// <summary>Raw points before this are expired: now minus the raw retention, hour-aligned.</summary>
    private static long RawCutoff(TimeSpan raw, long nowNs) => Schema.FloorTo(nowNs - (raw.Ticks * 100), Schema.HourNs);

    private static string SeriesIdsOf(List<string> measurements) =>
        $"SELECT id FROM series WHERE measurement IN ({string.Join(',', measurements.Select(SqlString))})";

    private static string RawRowsBefore(long cutoffNs, string seriesIds) =>
        "SELECT " + string.Join(" + ", SampleTables.All.SelectMany(t => new[] { t.Name, t.RecentName })
            .Select(name => Invariant($"(SELECT count(*) FROM {name} WHERE ts < {cutoffNs} AND series_id IN ({seriesIds}))")));

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

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Sealed {Rows} raw rows into blocks")]
    private static partial void LogCompacted(ILogger logger, long rows);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Retention deleted {Rows} rows")]
    private static partial void LogRetention(ILogger logger, long rows);

    [LoggerMessage(EventId = 107, Level = LogLevel.Debug, Message = "Checkpoint after compaction skipped; DuckDB checkpoints at its WAL threshold")]
    private static partial void LogCheckpointSkipped(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Store maintenance failed; it will be tried again")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
