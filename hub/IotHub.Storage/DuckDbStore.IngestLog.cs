using System.Buffers;
using System.Collections.Concurrent;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging;

namespace IotHub.Storage;

/// <summary>
/// The durable ingest log in front of DuckDB (<see cref="StorageOptions.IngestLog"/>). A write is
/// checked (type conflicts, series per device, replayed batches: <see cref="SeriesAdmission"/>),
/// appended to the log and acknowledged once the log's group fsync made it durable. One applier
/// drains the log into DuckDB in large transactions (up to <see cref="StorageOptions.MaxPointsPerCommit"/>
/// values), recording the applied log position in the same transaction, so an open replays
/// exactly the records not yet applied. Reads wait until everything acknowledged before they
/// started is applied (read barrier); writers wait while the backlog (bytes logged, not yet
/// applied) is over <see cref="StorageOptions.IngestLogMaxBacklogMegabytes"/>.
/// </summary>
public sealed partial class DuckDbStore
{
    private const string LogDirectoryName = "ingest-log";

    /// <summary>
    /// How long the applier lets acknowledged writes gather before it applies fewer than a commit's
    /// worth (<see cref="StorageOptions.MaxPointsPerCommit"/>). Reads do not wait for it: a read
    /// barrier wakes the applier at once.
    /// </summary>
    private static readonly TimeSpan ApplyDelay = TimeSpan.FromMilliseconds(200);
    private const string CreatePositionTable = "CREATE TABLE IF NOT EXISTS ingest_log_position (id TINYINT PRIMARY KEY, position BIGINT NOT NULL)";

    // Orders admission decisions and log appends: a record's position follows its decision.
    private readonly Lock _admitLock = new();

    // Records durable in the log and not yet applied, in log order. Bounded by the backlog limit:
    // writers wait for room before they append.
    private readonly ConcurrentQueue<IngestLogEntry> _toApply = new();

    // Values in _toApply, and the applier's wake-up before its delay is over: released when a
    // commit's worth is queued, a read waits for the applied position, a writer waits for room,
    // or the store closes. Holds at most one release.
    private long _queuedValues;
    private readonly SemaphoreSlim _applyNow = new(0, 1);

    // The log position that readers or held writers wait to see applied: until then the applier
    // does not wait between groups.
    private long _hurryUntil;
    private IngestLog? _log;
    private SeriesAdmission? _admission;
    private PositionSignal _applied = new(0);
    private Task _applier = Task.CompletedTask;
    private volatile bool _applierStopping;
    private volatile bool _applierStopped;

    /// <summary>Bytes of the ingest log acknowledged and not yet applied to the database (0 without the log).</summary>
    public long IngestLogBacklogBytes => _log is { } log ? Math.Max(0, log.Assigned - _applied.Value) : 0;

    /// <summary>Group writes of the ingest log (one fsync each) since open (0 without the log).</summary>
    public long IngestLogSyncs => _log?.Groups ?? 0;

    /// <summary>When each device's newest stored point was taken (ns since the epoch): one read barrier for all of them.</summary>
    public IReadOnlyDictionary<string, long> GetDevicesLastSeen()
    {
        WaitForApplied();
        return new Dictionary<string, long>(_deviceLastSeen, StringComparer.Ordinal);
    }

    private string LogDirectory => Path.Combine(_options.DataDirectory, LogDirectoryName);

    /// <summary>Opens the log, applies its un-applied tail, then starts admission and the applier.</summary>
    private async Task OpenIngestLogAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync(_connection, CreatePositionTable, cancellationToken);
        long applied;
        await using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT coalesce(max(position), 0) FROM ingest_log_position";
            applied = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        _applied = new PositionSignal(applied);
        _log = IngestLog.Open(LogDirectory, (long)_options.IngestLogSegmentMegabytes << 20, applied, _logger, EnqueueForApply, out var tail);
        if (tail.Count > 0)
        {
            LogReplaying(_logger, tail.Count, tail[^1].End - applied);
            EnqueueForApply(tail);
            while (!_toApply.IsEmpty)
            {
                await ApplyNextGroupAsync();
            }
        }

        _log.DeleteApplied(_applied.Value);

        // Now the store holds every acknowledged series: admission starts from the same state.
        _admission = new SeriesAdmission(_seriesByKey.Values, _options.MaxSeriesPerDevice);
        _applier = Task.Run(ApplyLoopAsync, CancellationToken.None);
    }

    private void EnqueueForApply(List<IngestLogEntry> entries)
    {
        long values = 0;
        foreach (var entry in entries)
        {
            _toApply.Enqueue(entry);
            values += entry.Values;
        }

        if (Interlocked.Add(ref _queuedValues, values) >= _options.MaxPointsPerCommit)
        {
            HurryApplier();
        }
    }

    /// <summary>
    /// Wakes the applier now instead of at the end of its <see cref="ApplyDelay"/>, and keeps it
    /// from waiting until the log is applied up to <paramref name="position"/>.
    /// </summary>
    private void HurryApplier(long position = 0)
    {
        var until = Volatile.Read(ref _hurryUntil);
        while (position > until)
        {
            var seen = Interlocked.CompareExchange(ref _hurryUntil, position, until);
            if (seen == until)
            {
                break;
            }

            until = seen;
        }

        if (_applyNow.CurrentCount == 0)
        {
            try
            {
                _applyNow.Release();
            }
            catch (SemaphoreFullException)
            {
                // Released by another caller at the same time: the applier wakes once, as asked.
            }
        }
    }

    /// <summary>The logged write path: check, append, wait for the group fsync.</summary>
    private async Task<WriteOutcome> WriteLoggedAsync(IReadOnlyList<SeriesColumns> columns, UplinkBatch? batch, int values, CancellationToken cancellationToken)
    {
        var log = _log!;

        // Backpressure: wait (cancellable, nothing written yet) while the backlog is over the limit.
        var limit = (long)_options.IngestLogMaxBacklogMegabytes << 20;
        if (log.Assigned - _applied.Value > limit)
        {
            HurryApplier(log.Assigned);
            await _applied.WaitAsync(log.Assigned - limit, () => _applierStopped || log.Failure is not null, cancellationToken);
        }

        // Retention is decided by the time of the ack, not of the apply (as without the log).
        var (buffer, length) = IngestLogRecord.Write(columns, batch, TimeUnits.FromDateTimeOffset(_time.GetUtcNow()), IngestLog.HeaderBytes);
        IngestLogEntry entry;
        long replayedEnd;
        try
        {
            lock (_admitLock)
            {
                if (batch is { } uplink && _admission!.IsReplay(uplink, _batchSequences.GetValueOrDefault(uplink.Device), out replayedEnd))
                {
                    entry = null!;
                }
                else
                {
                    replayedEnd = -1;
                    _admission!.Admit(columns);
                    entry = log.Append(buffer, length, values);
                    if (batch is { } admitted)
                    {
                        _admission.AdmitBatch(admitted, entry.End);
                    }
                }
            }
        }
        catch (StorageException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        if (replayedEnd >= 0)
        {
            // A resend: answered as the first write is, once that one is durable.
            ArrayPool<byte>.Shared.Return(buffer);
            await log.Durable.WaitAsync(replayedEnd, () => log.Failure is not null, CancellationToken.None);
            ThrowIfFailedBefore(log, replayedEnd);
            return WriteOutcome.Duplicate;
        }

        await entry.Durable.Task;

        // Counters first: a writer that sees its ack also sees the counters include it.
        Interlocked.Add(ref _pointsWritten, values);
        return WriteOutcome.Committed;
    }

    private static void ThrowIfFailedBefore(IngestLog log, long end)
    {
        if (log.Durable.Value < end && log.Failure is { } failure)
        {
            throw failure;
        }
    }

    private Task<WriteOutcome> WriteLoggedAsync(IReadOnlyList<Point> points, UplinkBatch? batch, int values, CancellationToken cancellationToken) =>
        WriteLoggedAsync(IngestLogRecord.ToColumns(points), batch, values, cancellationToken);

    /// <summary>The highest batch sequence of a device acknowledged (logged and durable, or committed), or 0.</summary>
    private ulong LastLoggedBatchSequence(string device)
    {
        (ulong Sequence, long End)? last;
        lock (_admitLock)
        {
            last = _admission!.LastBatch(device);
        }

        var stored = _batchSequences.GetValueOrDefault(device);
        if (last is not { } admitted)
        {
            return stored;
        }

        var log = _log!;
        log.Durable.Wait(admitted.End, () => log.Failure is not null);
        return log.Durable.Value >= admitted.End ? Math.Max(stored, admitted.Sequence) : stored;
    }

    /// <summary>Read barrier: returns once everything acknowledged before the call is applied to the database.</summary>
    private void WaitForApplied()
    {
        if (_log is { } log && _applied.Value < log.Durable.Value)
        {
            HurryApplier(log.Durable.Value);
            _applied.Wait(log.Durable.Value, () => _applierStopped);
        }
    }

    /// <summary>Read barrier (asynchronous): see <see cref="WaitForApplied"/>.</summary>
    private Task WaitForAppliedAsync(CancellationToken cancellationToken)
    {
        if (_log is not { } log || _applied.Value >= log.Durable.Value)
        {
            return Task.CompletedTask;
        }

        HurryApplier(log.Durable.Value);
        return _applied.WaitAsync(log.Durable.Value, () => _applierStopped, cancellationToken);
    }

    /// <summary>Writes what the log holds, applies all of it, and stops the applier (on dispose).</summary>
    private async Task CloseIngestLogAsync()
    {
        if (_log is not { } log)
        {
            return;
        }

        log.Dispose();
        _applierStopping = true;
        log.Durable.Pulse();
        HurryApplier();
        await _applier;
    }

    private async Task ApplyLoopAsync()
    {
        var log = _log!;
        try
        {
            while (true)
            {
                var next = log.Durable.NextChange;
                if (_toApply.IsEmpty)
                {
                    if (_applierStopping)
                    {
                        return;
                    }

                    await next;
                    continue;
                }

                // Few values queued: wait a little for more, so DuckDB's cost per commit (per table
                // appended to, and the commit itself) is paid for many writes; unless a read or a
                // writer waits for a position not yet applied, or a commit's worth is queued.
                if (!_applierStopping && Interlocked.Read(ref _queuedValues) < _options.MaxPointsPerCommit
                    && _applied.Value >= Volatile.Read(ref _hurryUntil))
                {
                    await _applyNow.WaitAsync(ApplyDelay);
                }

                await ApplyNextGroupAsync();
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException)
        {
            // The log keeps what is not applied: the next open applies it.
            LogApplierStopped(_logger, ex);
        }
        finally
        {
            _applierStopped = true;
            _applied.Pulse();
        }
    }

    /// <summary>Applies the next records (up to <see cref="StorageOptions.MaxPointsPerCommit"/> values) in one transaction.</summary>
    private async Task ApplyNextGroupAsync()
    {
        var group = new List<IngestLogEntry>();
        var values = 0;
        while (_toApply.TryPeek(out var entry) && (group.Count == 0 || values + entry.Values <= _options.MaxPointsPerCommit))
        {
            _toApply.TryDequeue(out _);
            group.Add(entry);
            values += entry.Values;
        }

        Interlocked.Add(ref _queuedValues, -values);

        await ApplyAsync(group);
        foreach (var entry in group)
        {
            ArrayPool<byte>.Shared.Return(entry.Buffer);
        }

        _log!.DeleteApplied(_applied.Value);
    }

    private async Task ApplyAsync(List<IngestLogEntry> group)
    {
        var columns = new List<SeriesColumns>();
        try
        {
            await ApplyAsync(group, columns);
        }
        finally
        {
            // The commit has read the columns (or never will): their arrays go back to the pools.
            IngestLogRecord.ReturnArrays(columns);
        }
    }

    private async Task ApplyAsync(List<IngestLogEntry> group, List<SeriesColumns> columns)
    {
        var sequences = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var acceptedNs = long.MaxValue;
        foreach (var entry in group)
        {
            var (entryColumns, batch, accepted) = IngestLogRecord.Read(entry.Payload, pooled: true);
            acceptedNs = Math.Min(acceptedNs, accepted);
            columns.AddRange(entryColumns);
            if (batch is { } uplink && uplink.Sequence > sequences.GetValueOrDefault(uplink.Device))
            {
                sequences[uplink.Device] = uplink.Sequence;
            }
        }

        var end = group[^1].End;
        while (true)
        {
            // Point count 0: the values were counted when the log acknowledged them.
            var request = new WriteRequest(RequestKind.Columns, null, columns, null, 0) { LogPosition = end, Sequences = sequences, NowNs = acceptedNs };
            try
            {
                await EnqueueAsync(request, CancellationToken.None);
                await request.Completion.Task;
                _applied.Advance(end);
                return;
            }
            catch (WriteRefusedException ex) when (group.Count > 1)
            {
                // Never expected (admission decides as the store does); find the record alone.
                LogApplyRefused(_logger, group.Count, ex);
                foreach (var entry in group)
                {
                    await ApplyAsync([entry]);
                }

                return;
            }
            catch (WriteRefusedException ex)
            {
                LogAcknowledgedRefused(_logger, end, ex);
                _applied.Advance(end);
                return;
            }
            catch (StorageException ex)
            {
                // The log keeps the records: retry the same ones until the database takes them.
                LogApplyFailed(_logger, group.Count, ex);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>In the commit's transaction: where the log is applied up to (the commit loop calls it).</summary>
    private void RecordLogPosition(List<WriteRequest> requests)
    {
        long position = -1;
        foreach (var request in requests)
        {
            position = Math.Max(position, request.LogPosition);
        }

        if (position >= 0)
        {
            Execute(FormattableString.Invariant($"INSERT OR REPLACE INTO ingest_log_position VALUES (0, {position})"));
        }
    }

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Ingest log: applying {Records} records ({Bytes} bytes) not yet in the database")]
    private static partial void LogReplaying(ILogger logger, int records, long bytes);

    [LoggerMessage(EventId = 113, Level = LogLevel.Error, Message = "Applying {Records} logged records failed; retrying in 1 s (the log keeps them)")]
    private static partial void LogApplyFailed(ILogger logger, int records, Exception exception);

    [LoggerMessage(EventId = 114, Level = LogLevel.Error, Message = "The database refused a group of {Records} logged records; applying them one by one")]
    private static partial void LogApplyRefused(ILogger logger, int records, Exception exception);

    [LoggerMessage(EventId = 116, Level = LogLevel.Critical, Message = "The ingest log's applier stopped; acknowledged writes stay in the log and are applied at the next start")]
    private static partial void LogApplierStopped(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 115, Level = LogLevel.Critical, Message = "The database refused an acknowledged record ending at log position {Position}; it is skipped")]
    private static partial void LogAcknowledgedRefused(ILogger logger, long position, Exception exception);
}
