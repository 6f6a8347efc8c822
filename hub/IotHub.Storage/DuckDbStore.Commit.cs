using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using DuckDB.NET.Data;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// One group commit. Two passes over the commit's values:
/// <list type="number">
/// <item>Classify: per series, a value later than everything stored and seen so far is
/// <em>in order</em>; any other value is <em>late</em> (out of order, or a repeat of a stored
/// timestamp). Late values are collected by (series, time), the last write winning.</item>
/// <item>Write, in one transaction: delete stored rows that late values replace; append in-order
/// values (skipping those a later value of the same commit replaces) and the late values;
/// record uplink batch sequences; commit.</item>
/// </list>
/// Rollups are not written here: they are computed from the raw points when asked for, and
/// stored only when raw points expire (see DuckDbStore.Blocks.cs).
/// The common case (every value in order) costs one comparison per value in the first pass and
/// no SQL besides the appenders.
/// </summary>
public sealed partial class DuckDbStore
{
    // Pairs per generated VALUES list (integers only; nothing a client sent reaches SQL text).
    private const int KeysPerStatement = 2_000;

    // Commit-loop scratch, reused across commits.
    private readonly Dictionary<int, SeriesState> _states = [];
    private readonly Stack<SeriesState> _statePool = new();
    private readonly Dictionary<(int SeriesId, long Ts), (SeriesState State, FieldValue Value)> _late = [];

    // Kept open across commits (see SampleAppenders); null after a failure.
    private SampleAppenders? _appenders;

    // Values in a commit from which DuckDB writes full row groups straight into the file
    // (optimistic writes) instead of the WAL. Through the WAL, raw rows sealed before the next
    // checkpoint never take file blocks, which would stay free inside the file once sealed (DuckDB
    // gives back only free blocks at the end); but a million-value commit through the WAL costs
    // ~4 times as much (BenchmarkDotNet StoreIngest), so bulk commits still write straight.
    private const int OptimisticWriteValues = 500_000;

    // Whether DuckDB's enable_optimistic_write is on (commit loop only; off from open).
    private bool _optimisticWrites;

    private void Commit(List<WriteRequest> requests)
    {
        ResetCommitState();
        var values = 0;
        foreach (var request in requests)
        {
            values += request.PointCount;
        }

        if (values >= OptimisticWriteValues != _optimisticWrites)
        {
            Execute(_optimisticWrites ? "SET enable_optimistic_write = false" : "SET enable_optimistic_write = true");
            _optimisticWrites = !_optimisticWrites;
        }

        var nowNs = requests[0].NowNs ?? TimeUnits.FromDateTimeOffset(_time.GetUtcNow());
        long expired = 0;

        // Pass 1: classify.
        foreach (var request in requests)
        {
            if (request.Points is { } points)
            {
                var index = 0;
                foreach (var point in points)
                {
                    foreach (var field in point.Fields)
                    {
                        var state = StateOf(request.Series[index++], nowNs);
                        expired += Classify(state, point.TimestampNs, field.Value) ? 0 : 1;
                    }
                }
            }
            else
            {
                var columns = request.Columns!;
                for (var c = 0; c < columns.Count; c++)
                {
                    expired += ClassifyColumn(StateOf(request.Series[c], nowNs), columns[c]);
                }
            }
        }

        foreach (var state in _states.Values)
        {
            state.RunningTs = state.InitialTs;
        }

        // Pass 2: write.
        long appended;
        using (var transaction = _connection.BeginTransaction())
        {
            try
            {
                if (_late.Count > 0)
                {
                    DeleteReplacedRows();
                }

                var appenders = _appenders ??= new SampleAppenders(_connection);
                foreach (var request in requests)
                {
                    if (request.Points is { } points)
                    {
                        var index = 0;
                        foreach (var point in points)
                        {
                            foreach (var field in point.Fields)
                            {
                                AppendInOrder(appenders, _states[request.Series[index++].Id], point.TimestampNs, field.Value);
                            }
                        }
                    }
                    else
                    {
                        var columns = request.Columns!;
                        for (var c = 0; c < columns.Count; c++)
                        {
                            AppendColumn(appenders, _states[request.Series[c].Id], columns[c]);
                        }
                    }
                }

                foreach (var ((seriesId, ts), (_, value)) in _late)
                {
                    appenders.Append(seriesId, ts, value);
                }

                var newSeries = new List<SeriesInfo>();
                foreach (var request in requests)
                {
                    newSeries.AddRange(request.CreatedSeries);
                }

                if (newSeries.Count > 0)
                {
                    appenders.AppendSeries(newSeries);
                }

                appended = appenders.FlushToTransaction();

                var sequences = LatestSequences(requests);
                if (sequences.Count > 0)
                {
                    UpsertSequences(sequences);
                }

                RecordLogPosition(requests);

                transaction.Commit();
                foreach (var (device, sequence) in sequences)
                {
                    _batchSequences[device] = sequence;
                }
            }
            catch
            {
                // Appenders that failed are not trusted with the next commit.
                DisposeAppenders();

                // Series created for a failed commit are forgotten, so ids on disk and in memory agree.
                foreach (var request in requests)
                {
                    ForgetSeries(request.CreatedSeries);
                }

                throw;
            }
        }

        Interlocked.Add(ref _recentRows, appended);
        Interlocked.Add(ref _pointsExpired, expired);
        foreach (var state in _states.Values)
        {
            // In-order values are all after the newest stored before; a late one may be anywhere.
            NoteRawRows(state.Series.Id, state.HasLate ? long.MinValue : state.InitialTs);
            if (state.LatestChanged)
            {
                ApplyLatest(new LatestValue(state.Series, state.LatestTs, state.LatestValue));
            }
        }
    }

    private void DisposeAppenders()
    {
        var appenders = _appenders;
        _appenders = null;
        try
        {
            appenders?.Dispose();
        }
        catch (Exception ex) when (ex is DuckDBException or InvalidOperationException)
        {
            // Nothing of theirs is acknowledged: their transaction was rolled back or never committed.
            LogCommitFailed(_logger, 0, 0, ex);
        }
    }

    private void ResetCommitState()
    {
        foreach (var state in _states.Values)
        {
            _statePool.Push(state);
        }

        _states.Clear();
        _late.Clear();
    }

    private SeriesState StateOf(SeriesInfo series, long nowNs)
    {
        if (_states.TryGetValue(series.Id, out var state))
        {
            return state;
        }

        state = _statePool.Count > 0 ? _statePool.Pop() : new SeriesState();
        var raw = _options.RetentionOf(series.Measurement).Raw;
        var stored = _latest.TryGetValue(series.Id, out var latest) ? latest.TimestampNs : long.MinValue;

        // Hour-aligned, so a rollup bucket of a point kept is never partly expired.
        state.Reset(series, Schema.FloorTo(nowNs - (raw.Ticks * 100), Schema.HourNs), stored);
        _states[series.Id] = state;
        return state;
    }

    /// <summary>Pass 1 for one value; false when it is expired.</summary>
    private bool Classify(SeriesState state, long ts, in FieldValue value)
    {
        if (ts < state.CutoffNs)
        {
            return false;
        }

        if (ts > state.RunningTs)
        {
            state.RunningTs = ts;
            state.SetLatest(ts, value);
            return true;
        }

        if (ts == state.RunningTs)
        {
            // A repeat of the newest timestamp: it replaces the newest value too.
            state.SetLatest(ts, value);
        }

        state.HasLate = true;
        _late[(state.Series.Id, ts)] = (state, value);
        return true;
    }

    /// <summary>Pass 1 for a column; returns the number of expired values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ClassifyColumn(SeriesState state, SeriesColumns column)
    {
        var timestamps = column.TimestampsNs;
        var running = state.RunningTs;
        var cutoff = state.CutoffNs;
        var newest = -1;
        var expired = 0;
        for (var i = 0; i < column.Count; i++)
        {
            var ts = timestamps[i];
            if (ts > running && ts >= cutoff)
            {
                running = ts;
                newest = i;
                continue;
            }

            // Rare: expired, out of order or repeated.
            state.RunningTs = running;
            if (newest >= 0)
            {
                state.SetLatest(timestamps[newest], column.ValueAt(newest));
                newest = -1;
            }

            if (!Classify(state, ts, column.ValueAt(i)))
            {
                expired++;
            }

            running = state.RunningTs;
        }

        state.RunningTs = running;
        if (newest >= 0)
        {
            state.SetLatest(timestamps[newest], column.ValueAt(newest));
        }

        return expired;
    }

    /// <summary>Pass 2 for one value: appends it when it is in order and no later value of this commit replaces it.</summary>
    private void AppendInOrder(SampleAppenders appenders, SeriesState state, long ts, in FieldValue value)
    {
        if (ts < state.CutoffNs || ts <= state.RunningTs)
        {
            // Expired, or late (appended from _late with its final value).
            return;
        }

        state.RunningTs = ts;
        var seriesId = state.Series.Id;
        if (state.HasLate && _late.ContainsKey((seriesId, ts)))
        {
            return;
        }

        appenders.Append(seriesId, ts, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AppendColumn(SampleAppenders appenders, SeriesState state, SeriesColumns column)
    {
        var timestamps = column.TimestampsNs;
        var seriesId = state.Series.Id;
        var running = state.RunningTs;
        var cutoff = state.CutoffNs;
        var checkLate = state.HasLate;
        var floats = column.Floats;
        var integers = column.Integers;
        for (var i = 0; i < column.Count; i++)
        {
            var ts = timestamps[i];
            if (ts <= running || ts < cutoff)
            {
                continue;
            }

            running = ts;
            if (checkLate && _late.ContainsKey((seriesId, ts)))
            {
                continue;
            }

            if (floats is not null)
            {
                appenders.AppendFloat(seriesId, ts, floats[i]);
            }
            else if (integers is not null)
            {
                appenders.AppendInteger(seriesId, ts, integers[i]);
            }
            else
            {
                // Unsigned, boolean and string columns: the general path.
                appenders.Append(seriesId, ts, column.ValueAt(i));
            }
        }

        state.RunningTs = running;
    }

    private void DeleteReplacedRows()
    {
        var byTable = new List<(int SeriesId, long Ts)>?[4];
        foreach (var (key, (state, _)) in _late)
        {
            (byTable[SampleTables.IndexOf(state.Series.Kind)] ??= []).Add(key);
        }

        for (var t = 0; t < byTable.Length; t++)
        {
            if (byTable[t] is not { } keys)
            {
                continue;
            }

            var table = SampleTables.All[t];
            foreach (var chunk in keys.Chunk(KeysPerStatement))
            {
                var (values, ids, low, high) = KeyList(chunk);
                foreach (var name in new[] { table.RecentName, table.Name })
                {
                    Execute(Invariant($"DELETE FROM {name} USING (VALUES {values}) k(sid, kts) WHERE {name}.series_id IN ({ids}) AND {name}.ts BETWEEN {low} AND {high} AND {name}.series_id = k.sid AND {name}.ts = k.kts"));
                }
            }
        }
    }

    private static (string Values, string Ids, long Low, long High) KeyList((int SeriesId, long Value)[] keys)
    {
        var values = new StringBuilder(keys.Length * 24);
        var ids = new SortedSet<int>();
        var low = long.MaxValue;
        var high = long.MinValue;
        foreach (var (seriesId, value) in keys)
        {
            if (values.Length > 0)
            {
                values.Append(',');
            }

            values.Append(CultureInfo.InvariantCulture, $"({seriesId},{value})");
            ids.Add(seriesId);
            low = Math.Min(low, value);
            high = Math.Max(high, value);
        }

        return (values.ToString(), string.Join(',', ids), low, high);
    }

    private static Dictionary<string, ulong> LatestSequences(List<WriteRequest> requests)
    {
        var sequences = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            if (request.Batch is { } uplink && uplink.Sequence > sequences.GetValueOrDefault(uplink.Device))
            {
                sequences[uplink.Device] = uplink.Sequence;
            }

            foreach (var (device, sequence) in request.Sequences ?? [])
            {
                sequences[device] = Math.Max(sequence, sequences.GetValueOrDefault(device));
            }
        }

        return sequences;
    }

    private void UpsertSequences(Dictionary<string, ulong> sequences)
    {
        using var command = _connection.CreateCommand();
        var sql = new StringBuilder("INSERT OR REPLACE INTO uplink_batches (device, sequence) VALUES ");
        var index = 0;
        foreach (var (device, sequence) in sequences)
        {
            if (index > 0)
            {
                sql.Append(',');
            }

            sql.Append(CultureInfo.InvariantCulture, $"($d{index}, $s{index})");
            command.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("d" + index.ToString(CultureInfo.InvariantCulture), device));
            command.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("s" + index.ToString(CultureInfo.InvariantCulture), sequence));
            index++;
        }

        command.CommandText = sql.ToString();
        command.ExecuteNonQuery();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>What one commit knows about one series.</summary>
    private sealed class SeriesState
    {
        public SeriesInfo Series { get; private set; } = null!;

        /// <summary>Values before this are expired (older than the raw retention).</summary>
        public long CutoffNs { get; private set; }

        /// <summary>The newest stored timestamp before this commit, or <see cref="long.MinValue"/>.</summary>
        public long InitialTs { get; private set; }

        /// <summary>The newest timestamp seen so far in the current pass.</summary>
        public long RunningTs { get; set; }

        public bool HasLate { get; set; }

        public bool LatestChanged { get; private set; }

        public long LatestTs { get; private set; }

        public FieldValue LatestValue { get; private set; }

        public void Reset(SeriesInfo series, long cutoffNs, long storedTs)
        {
            Series = series;
            CutoffNs = cutoffNs;
            InitialTs = storedTs;
            RunningTs = storedTs;
            HasLate = false;
            LatestChanged = false;
            LatestTs = long.MinValue;
            LatestValue = default;
        }

        public void SetLatest(long ts, in FieldValue value)
        {
            LatestChanged = true;
            LatestTs = ts;
            LatestValue = value;
        }
    }
}
