using System.Collections.Concurrent;
using System.Threading.Channels;
using DuckDB.NET.Data;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging;

namespace IotHub.Storage;

/// <summary>
/// The embedded time-series store on DuckDB. One commit loop owns the connection's writes and
/// commits many writers' points in one transaction (group commit: one WAL sync serves them all);
/// a write completes only after its transaction committed, so an acknowledged point is durable.
/// The same series and timestamp written again replaces the earlier value (last write wins),
/// out-of-order points are accepted, and 1-minute and 1-hour rollups are kept up to date in the
/// same transaction. The newest value of every series is kept in memory and rebuilt on open.
/// </summary>
public sealed partial class DuckDbStore : ITimeSeriesStore
{
    private const string DatabaseFileName = "iothub.duckdb";

    // The attached store file's name in DuckDB, and how it is attached: DuckDB's default row group
    // size (4,096 rows kept the file compact while open but made million-value commits ~10 times
    // slower; free space is given back by copying instead, see Reclaim).
    private const string DatabaseAlias = "store";
    private const string AttachOptions = "(ROW_GROUP_SIZE 122880)";

    private readonly StorageOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DuckDBConnection _connection;

    // Sealed blocks of the recent days, in memory (see HotBlocks).
    private readonly HotBlocks _hot;

    // Series by measurement, for queries and latest values (see SeriesOfMeasurement).
    private volatile MeasurementIndex? _byMeasurement;

    // Open read connections between queries (see RentReaderAsync); closed with the store.
    private readonly ConcurrentBag<DuckDBConnection> _readers = [];

    // Bounded: when full, WriteAsync waits for room, which slows the listeners that call it.
    private readonly Channel<WriteRequest> _queue;
    private readonly Task _commitLoop;

    // Owned by the commit loop for inserts; read concurrently by queries.
    private readonly ConcurrentDictionary<string, SeriesInfo> _seriesByKey = new(StringComparer.Ordinal);

    // Series per device tag; only the commit loop (and the opening) touches it.
    private readonly Dictionary<string, int> _seriesPerDevice = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, LatestValue> _latest = new();
    private readonly ConcurrentDictionary<string, long> _deviceLastSeen = new(StringComparer.Ordinal);

    // Highest committed uplink batch sequence per device; changed only by the commit loop.
    private readonly ConcurrentDictionary<string, ulong> _batchSequences = new(StringComparer.Ordinal);
    private int _nextSeriesId;
    private long _pointsWritten;
    private long _pointsExpired;
    private long _commits;
    private long _compactions;

    // Raw rows not sealed yet (written by the commit loop, read by the wake timer); commit loop
    // only: the count that triggers the next compaction, when the last one and retention ran.
    private long _recentRows;
    private long _nextCompactionRows;
    private DateTimeOffset _lastCompaction;
    private DateTimeOffset _lastRetentionSweep;

    // Wakes the commit loop every CompactionInterval while raw rows wait, so a store that stopped
    // receiving writes still seals them, and once when it goes idle (see WakeForCompactionAsync).
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _wakeLoop;

    private DuckDbStore(StorageOptions options, ILogger logger, TimeProvider time, DuckDBConnection connection)
    {
        _options = options;
        _passPoints = new BlockPointsPool(4L * options.CompactionRowThreshold);
        _logger = logger;
        _time = time;
        _connection = connection;
        _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _lastRetentionSweep = time.GetUtcNow();
        _lastCompaction = _lastRetentionSweep;
        _lengthAtLastCopy = StoreFileLength();
        _hot = new HotBlocks(options.HotBlockDays > 0 ? DayOf(TimeUnits.FromDateTimeOffset(_lastRetentionSweep)) - options.HotBlockDays : int.MaxValue);
        _commitLoop = Task.Factory.StartNew(CommitLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _wakeLoop = Task.Run(WakeForCompactionAsync);
    }

    /// <summary>Raw rows not sealed into blocks yet (about 12 bytes each on disk, against well under one in a block).</summary>
    public long RawRows => Interlocked.Read(ref _recentRows);

    /// <summary>Points committed since open.</summary>
    public long PointsWritten => Interlocked.Read(ref _pointsWritten);

    /// <summary>Points acknowledged but discarded since open because they were older than their measurement's raw retention.</summary>
    public long PointsExpired
    {
        get
        {
            WaitForApplied();
            return Interlocked.Read(ref _pointsExpired);
        }
    }

    /// <summary>Transactions committed since open.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Bytes of sealed blocks held in memory for queries over the recent days (<see cref="StorageOptions.HotBlockDays"/>).</summary>
    public long HotBlockBytes => _hot.Bytes;

    /// <summary>Compactions since open.</summary>
    public long Compactions => Interlocked.Read(ref _compactions);

    /// <summary>Write requests waiting for a commit.</summary>
    public int QueueDepth => _queue.Reader.CanCount ? _queue.Reader.Count : -1;

    /// <summary>Every series known to the store.</summary>
    public IReadOnlyCollection<SeriesInfo> Series
    {
        get
        {
            WaitForApplied();
            return (IReadOnlyCollection<SeriesInfo>)_seriesByKey.Values;
        }
    }

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.Combine(_options.DataDirectory, DatabaseFileName);

    /// <summary>Opens (or creates) the store in <see cref="StorageOptions.DataDirectory"/> and rebuilds the in-memory state.</summary>
    public static Task<DuckDbStore> OpenAsync(StorageOptions options, ILogger logger, CancellationToken cancellationToken) =>
        OpenAsync(options, logger, TimeProvider.System, cancellationToken);

    /// <summary>Opens the store with a clock for retention (tests move it).</summary>
    public static async Task<DuckDbStore> OpenAsync(StorageOptions options, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        Directory.CreateDirectory(options.DataDirectory);
        var path = Path.Combine(options.DataDirectory, DatabaseFileName);

        // A copy left by a swap that stopped before replacing the file: the file is whole, the copy is not needed.
        DeleteReclaimFiles(path);
        // The file is attached to an in-memory instance rather than opened as its main database:
        // only ATTACH takes a row group size. (With DuckDB's 122,880 rows, checkpoints rewrite the
        // last row group of a table whole as it grows: the blocks table of a 30-day city is one.)
        var connection = new DuckDBConnection("Data Source=:memory:");
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, $"ATTACH {SqlString(path)} AS {DatabaseAlias} {AttachOptions}; USE {DatabaseAlias}; SET temp_directory = {SqlString(path + ".tmp")}", cancellationToken);
            await ExecuteAsync(connection, Schema.Create, cancellationToken);
            await ExecuteAsync(connection, Schema.AddBlockParts, cancellationToken);
            await MigrateAsync(connection, options, time, cancellationToken);
            await ExecuteAsync(connection, FormattableString.Invariant($"SET checkpoint_threshold = '{options.CheckpointWalMegabytes}MB'"), cancellationToken);
            await ExecuteAsync(connection, FormattableString.Invariant($"SET memory_limit = '{options.MemoryLimitMegabytes}MB'"), cancellationToken);

            // Appends go to the WAL rather than straight into the file (but see Commit).
            await ExecuteAsync(connection, "SET enable_optimistic_write = false", cancellationToken);
            var store = new DuckDbStore(options, logger, time, connection);
            await store.LoadStateAsync(cancellationToken);
            if (options.IngestLog)
            {
                await store.OpenIngestLogAsync(cancellationToken);
            }

            LogOpened(logger, path, store._seriesByKey.Count);
            return store;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Writes points; completes when they are committed (durable). Waits while the write queue is
    /// full; <paramref name="cancellationToken"/> cancels that wait only: once queued, a write is
    /// committed or fails, and the task says which. A series keeps the field type of its first write.
    /// </summary>
    /// <exception cref="StorageException">The commit failed; none of these points were stored.</exception>
    public Task WriteAsync(IReadOnlyList<Point> points, CancellationToken cancellationToken) =>
        WriteAsync(points, batch: null, cancellationToken);

    /// <summary>
    /// Writes an uplink batch exactly once: when the device's batch with this sequence (or a later
    /// one) is already committed, nothing is written and the answer is <see cref="WriteOutcome.Duplicate"/>.
    /// </summary>
    /// <exception cref="StorageException">The commit failed; none of these points were stored.</exception>
    public async Task<WriteOutcome> WriteAsync(IReadOnlyList<Point> points, UplinkBatch? batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0 && batch is null)
        {
            return WriteOutcome.Committed;
        }

        var count = 0;
        foreach (var point in points)
        {
            count += point.Fields.Count;
        }

        if (_log is not null)
        {
            return await WriteLoggedAsync(points, batch, count, cancellationToken);
        }

        var request = new WriteRequest(RequestKind.Points, points, null, batch, count);
        await EnqueueAsync(request, cancellationToken);
        await request.Completion.Task;
        return request.Outcome;
    }

    /// <summary>
    /// The lean write path: points of many series as columns (see <see cref="SeriesColumns"/>).
    /// Same durability and semantics as <see cref="WriteAsync(IReadOnlyList{Point}, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="StorageException">The commit failed; none of these points were stored.</exception>
    public Task WriteColumnsAsync(IReadOnlyList<SeriesColumns> columns, CancellationToken cancellationToken) =>
        WriteColumnsAsync(columns, batch: null, cancellationToken);

    /// <summary>
    /// The lean write path with an uplink batch: the columns are written exactly once, as
    /// <see cref="WriteAsync(IReadOnlyList{Point}, UplinkBatch?, CancellationToken)"/> writes points
    /// (the batch sequence is recorded in the same transaction as the values).
    /// </summary>
    /// <exception cref="StorageException">The commit failed; none of these points were stored.</exception>
    public async Task<WriteOutcome> WriteColumnsAsync(IReadOnlyList<SeriesColumns> columns, UplinkBatch? batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var count = 0;
        foreach (var column in columns)
        {
            count += column.Count;
        }

        if (count == 0 && batch is null)
        {
            return WriteOutcome.Committed;
        }

        if (_log is not null)
        {
            return await WriteLoggedAsync(columns, batch, count, cancellationToken);
        }

        var request = new WriteRequest(RequestKind.Columns, null, columns, batch, count);
        await EnqueueAsync(request, cancellationToken);
        await request.Completion.Task;
        return request.Outcome;
    }

    /// <summary>The highest committed batch sequence of a device, or 0.</summary>
    public ulong LastBatchSequence(string device) =>
        _log is not null ? LastLoggedBatchSequence(device) : _batchSequences.GetValueOrDefault(device);

    /// <summary>The newest value of every series of a device (series tagged <c>device=ID</c>).</summary>
    public IReadOnlyList<LatestValue> GetLatestForDevice(string deviceId)
    {
        WaitForApplied();
        var result = new List<LatestValue>();
        foreach (var latest in _latest.Values)
        {
            if (string.Equals(latest.Series.Device, deviceId, StringComparison.Ordinal))
            {
                result.Add(latest);
            }
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Series.Field, b.Series.Field));
        return result;
    }

    /// <summary>The newest value of every series.</summary>
    public IReadOnlyCollection<LatestValue> GetLatest()
    {
        WaitForApplied();
        return (IReadOnlyCollection<LatestValue>)_latest.Values;
    }

    /// <inheritdoc/>
    public IReadOnlyList<LatestValue> GetLatest(string measurement, string? field, IReadOnlyDictionary<string, string> tags)
    {
        ArgumentNullException.ThrowIfNull(measurement);
        ArgumentNullException.ThrowIfNull(tags);
        WaitForApplied();
        var result = new List<LatestValue>();
        foreach (var series in SeriesOfMeasurement(measurement))
        {
            if ((field is null || string.Equals(series.Field, field, StringComparison.Ordinal))
                && HasTags(series, tags)
                && _latest.TryGetValue(series.Id, out var latest))
            {
                result.Add(latest);
            }
        }

        return result;
    }

    /// <summary>The series of one measurement, by id; the index is rebuilt when series were added or forgotten.</summary>
    private SeriesInfo[] SeriesOfMeasurement(string measurement)
    {
        var index = _byMeasurement;
        var version = Volatile.Read(ref _nextSeriesId);
        var count = _seriesByKey.Count;
        if (index is null || index.Version != version || index.Count != count)
        {
            var groups = _seriesByKey.Values.GroupBy(s => s.Measurement, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Id).ToArray(), StringComparer.Ordinal);
            index = new MeasurementIndex(version, count, groups);
            _byMeasurement = index;
        }

        return index.Series.GetValueOrDefault(measurement) ?? [];
    }

    /// <summary>When a device's newest stored point was taken (ns since the epoch), if any.</summary>
    public long? GetDeviceLastSeen(string deviceId)
    {
        WaitForApplied();
        return _deviceLastSeen.TryGetValue(deviceId, out var ns) ? ns : null;
    }

    /// <summary>Number of stored rows of every type (a full count; for tests and diagnostics).</summary>
    public async Task<long> CountRowsAsync(CancellationToken cancellationToken)
    {
        await WaitForAppliedAsync(cancellationToken);
        using var lease = await EnterReadAsync(cancellationToken);
        await using var connection = OpenSecondConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = Schema.CountAll;
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The store file's tables, by name.</summary>
    private static List<string> StoreTables(DuckDBConnection connection)
    {
        var tables = new List<string>();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT table_name FROM duckdb_tables() WHERE database_name = '{DatabaseAlias}' ORDER BY table_name";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    /// <summary>
    /// Where the database file's bytes go (diagnostics for benchmarks): its 256 KiB blocks in use
    /// and free, and per table its rows and the blocks its column segments occupy (a block shared
    /// by small segments of several tables counts for each).
    /// </summary>
    public async Task<string> DescribeFileAsync(CancellationToken cancellationToken)
    {
        await WaitForAppliedAsync(cancellationToken);
        using var lease = await EnterReadAsync(cancellationToken);
        await using var connection = OpenSecondConnection();
        var text = new System.Text.StringBuilder();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = Invariant($"SELECT total_blocks, free_blocks, wal_size FROM pragma_database_size() WHERE database_name = '{DatabaseAlias}'");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                text.Append(Invariant($"{reader.GetInt64(0)} blocks of 256 KiB, {reader.GetInt64(1)} free, WAL {reader.GetValue(2)}"));
            }
        }

        foreach (var table in StoreTables(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT (SELECT count(*) FROM {table}), (SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}') WHERE block_id >= 0)";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && reader.GetInt64(1) > 0)
            {
                text.Append(Invariant($"; {table}: {reader.GetInt64(0):N0} rows in {reader.GetInt64(1)} blocks"));
            }
        }

        return text.ToString();
    }

    /// <summary>Stops taking writes, commits what is queued, and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseIngestLogAsync();
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
            await _wakeLoop;
            _stopping.Dispose();
        }

        _queue.Writer.TryComplete();
        try
        {
            await _commitLoop;
        }
        finally
        {
            DisposeAppenders();
            while (_readers.TryTake(out var reader))
            {
                await reader.DisposeAsync();
            }

            // A checkpoint on close folds the WAL into the database file, so the next open is fast.
            try
            {
                await ExecuteAsync(_connection, "CHECKPOINT", CancellationToken.None);
                Reclaim(idle: false);
            }
            catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
            {
                LogCheckpointFailed(_logger, ex);
            }

            await _connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Another connection to the store's database instance (reads see committed data and run
    /// beside the commit loop's connection), with the store file as its default database.
    /// </summary>
    private DuckDBConnection OpenSecondConnection()
    {
        var connection = _connection.Duplicate();
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "USE " + DatabaseAlias;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every <see cref="StorageOptions.CompactionInterval"/> while raw rows wait, queues an empty
    /// maintenance request: the commit loop wakes and its automatic maintenance seals them. At the
    /// first tick of a whole interval without a point written after some were (the store went
    /// idle), queues <see cref="TidyWhenIdle"/> instead. When the queue is full nothing is queued
    /// (the loop is busy committing and checks after each commit).
    /// </summary>
    private async Task WakeForCompactionAsync()
    {
        using var timer = new PeriodicTimer(_options.CompactionInterval, _time);
        long seen = PointsWritten;
        long tidied = seen;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var points = PointsWritten;
                var idle = points == seen && points != tidied;
                seen = points;
                if (idle)
                {
                    tidied = points;
                    _queue.Writer.TryWrite(new WriteRequest(RequestKind.Maintenance, null, null, null, 0) { Maintenance = TidyWhenIdle });
                }
                else if (RawRows > 0)
                {
                    _queue.Writer.TryWrite(new WriteRequest(RequestKind.Maintenance, null, null, null, 0) { Maintenance = static () => 0 });
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The store is closing.
        }
    }

    private async Task EnqueueAsync(WriteRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(request, cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new StorageException("The store is closing; the request was not accepted.", ex);
        }
    }

    /// <summary>
    /// The commit loop, on a thread of its own so its priority can be lowered
    /// (<see cref="StorageOptions.CommitThreadNice"/>) without lowering a thread-pool thread's.
    /// </summary>
    private void CommitLoop()
    {
        Thread.CurrentThread.Name = "store-commit";
        BackgroundPriority.LowerCurrentThread(_options.CommitThreadNice);
        var batch = new List<WriteRequest>();
        var reader = _queue.Reader;
        WriteRequest? maintenance = null;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            var points = 0;
            while (points < _options.MaxPointsPerCommit && reader.TryRead(out var request))
            {
                if (request.Kind is RequestKind.Maintenance)
                {
                    // Runs after the writes queued before it, never inside their transaction.
                    maintenance = request;
                    break;
                }

                batch.Add(request);
                points += request.PointCount;
            }

            if (batch.Count > 0)
            {
                CommitBatch(batch, points);
                batch.Clear();
            }

            if (maintenance is not null)
            {
                RunMaintenance(maintenance);
                maintenance = null;
            }

            RunAutomaticMaintenance();
        }
    }

    private void CommitBatch(List<WriteRequest> batch, int points)
    {
        var accepted = ResolveRequests(batch);
        if (accepted.Count == 0)
        {
            return;
        }

        try
        {
            Commit(accepted);
            var committed = 0;
            foreach (var request in accepted)
            {
                committed += request.PointCount;
            }

            // Counters first: a writer that sees its ack also sees the counters include it.
            Interlocked.Add(ref _pointsWritten, committed);
            Interlocked.Increment(ref _commits);
            foreach (var request in accepted)
            {
                request.Completion.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is DuckDBException or InvalidOperationException or IOException)
        {
            LogCommitFailed(_logger, accepted.Count, points, ex);
            RollbackQuietly();
            var failure = new StorageException("The store could not commit the write: " + ex.Message, ex);
            foreach (var request in accepted)
            {
                request.Completion.TrySetException(failure);
            }
        }
    }

    private void RollbackQuietly()
    {
        // A failed statement leaves DuckDB's transaction aborted; the using block already rolled
        // it back, this only makes sure the connection is usable for the next commit.
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
        }
        catch (DuckDBException ex)
        {
            LogCommitFailed(_logger, 0, 0, ex);
        }
    }

    /// <summary>
    /// Finds or creates the series of every field of every request. A request whose field has
    /// another type than its series is failed alone, so one bad writer does not fail the others
    /// that share its commit.
    /// </summary>
    private List<WriteRequest> ResolveRequests(List<WriteRequest> batch)
    {
        var accepted = new List<WriteRequest>(batch.Count);
        var pendingSequences = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var request in batch)
        {
            if (request.Batch is { } uplink)
            {
                var committed = Math.Max(LastBatchSequence(uplink.Device), pendingSequences.GetValueOrDefault(uplink.Device));
                if (uplink.Sequence <= committed)
                {
                    request.Outcome = WriteOutcome.Duplicate;
                    request.Completion.TrySetResult();
                    continue;
                }

                pendingSequences[uplink.Device] = uplink.Sequence;
            }

            var created = new List<SeriesInfo>();
            var resolved = new List<SeriesInfo>(request.PointCount);
            try
            {
                if (request.Points is { } points)
                {
                    foreach (var point in points)
                    {
                        foreach (var field in point.Fields)
                        {
                            resolved.Add(ResolveSeries(SeriesKey.Create(point.Measurement, point.Tags, field.Key), point.Measurement, point.Tags, field.Key, field.Value.Kind, created));
                        }
                    }
                }
                else
                {
                    foreach (var column in request.Columns!)
                    {
                        resolved.Add(ResolveSeries(column.Key, column.Measurement, column.Tags, column.Field, column.Kind, created));
                    }
                }
            }
            catch (WriteRefusedException ex)
            {
                ForgetSeries(created);
                request.Completion.TrySetException(ex);
                continue;
            }

            request.Series = resolved;
            request.CreatedSeries = created;
            accepted.Add(request);
        }

        return accepted;
    }

    private void ForgetSeries(List<SeriesInfo> created)
    {
        foreach (var series in created)
        {
            // Its id is not reused: another request of the batch may hold a later one.
            _seriesByKey.TryRemove(SeriesKey.Create(series.Measurement, series.Tags, series.Field), out _);
            if (series.Device is { } device)
            {
                _seriesPerDevice[device]--;
            }
        }
    }

    private SeriesInfo ResolveSeries(string key, string measurement, IReadOnlyList<KeyValuePair<string, string>> tags, string field, FieldKind kind, List<SeriesInfo> newSeries)
    {
        if (_seriesByKey.TryGetValue(key, out var series))
        {
            if (series.Kind != kind)
            {
                throw SeriesAdmission.TypeConflict(measurement, field, series.Kind, kind);
            }

            return series;
        }

        series = new SeriesInfo(_nextSeriesId, measurement, tags, field, kind);
        if (series.Device is { } device)
        {
            // Cardinality: a device that invents tag values must not grow the series dictionary without bound.
            var count = _seriesPerDevice.GetValueOrDefault(device);
            if (count >= _options.MaxSeriesPerDevice)
            {
                throw SeriesAdmission.TooManySeries(device, count, measurement, field);
            }

            _seriesPerDevice[device] = count + 1;
        }

        _nextSeriesId++;
        _seriesByKey[key] = series;
        newSeries.Add(series);
        return series;
    }

    private void ApplyLatest(LatestValue update)
    {
        _latest.AddOrUpdate(
            update.Series.Id,
            static (_, candidate) => candidate,
            static (_, existing, candidate) => candidate.TimestampNs >= existing.TimestampNs ? candidate : existing,
            update);
        if (update.Series.Device is { } device)
        {
            _deviceLastSeen.AddOrUpdate(device, static (_, ts) => ts, static (_, existing, ts) => Math.Max(existing, ts), update.TimestampNs);
        }
    }

    private async Task LoadStateAsync(CancellationToken cancellationToken)
    {
        var byId = new Dictionary<int, SeriesInfo>();
        await using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT id, measurement, tags, field, kind FROM series ORDER BY id";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var series = new SeriesInfo(
                    reader.GetInt32(0),
                    reader.GetString(1),
                    SeriesKey.DecodeTags(reader.GetString(2)),
                    reader.GetString(3),
                    (FieldKind)reader.GetByte(4));
                byId[series.Id] = series;
                _seriesByKey[SeriesKey.Create(series.Measurement, series.Tags, series.Field)] = series;
                _nextSeriesId = Math.Max(_nextSeriesId, series.Id + 1);
                if (series.Device is { } device)
                {
                    _seriesPerDevice[device] = _seriesPerDevice.GetValueOrDefault(device) + 1;
                }
            }
        }

        await using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT device, sequence FROM uplink_batches";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                _batchSequences[reader.GetString(0)] = reader.GetFieldValue<ulong>(1);
            }
        }

        // Raw rows are newer than block points of the same time, so they are applied last.
        await LoadLatestFromBlocksAsync(byId, cancellationToken);
        ReloadHotBlocks();
        LoadRawBounds();
        foreach (var table in SampleTables.All)
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT series_id, max(ts), arg_max(value, ts) FROM (SELECT series_id, ts, value FROM {table.Name} UNION ALL SELECT series_id, ts, value FROM {table.RecentName}) GROUP BY series_id";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (byId.TryGetValue(reader.GetInt32(0), out var series))
                {
                    ApplyLatest(new LatestValue(series, reader.GetInt64(1), table.Read(reader, 2, series.Kind)));
                }
            }
        }

        await using (var command = _connection.CreateCommand())
        {
            command.CommandText = Schema.CountRecent;
            _recentRows = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            _nextCompactionRows = _options.CompactionRowThreshold;
        }
    }

    /// <summary>
    /// Stores made before blocks kept rollup partials of every commit: they are moved into the
    /// rollup tables, rollup rows of buckets whose raw points are still kept are dropped (those are
    /// computed from raw points now), and the rest merged to one row per bucket. Their raw rows are
    /// sealed into blocks by the next compaction. Runs at open, in one transaction; a no-op once done.
    /// </summary>
    private static async Task MigrateAsync(DuckDBConnection connection, StorageOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var perLevel = await ScalarLongAsync(connection, Schema.TableExists("rollup_1m_recent"), cancellationToken) > 0;
        var shared = await ScalarLongAsync(connection, Schema.TableExists("rollup_recent"), cancellationToken) > 0;
        if (!perLevel && !shared)
        {
            return;
        }

        var measurements = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT DISTINCT measurement FROM series";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                measurements.Add(reader.GetString(0));
            }
        }

        var nowNs = TimeUnits.FromDateTimeOffset(time.GetUtcNow());
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (perLevel)
        {
            await ExecuteAsync(connection, Schema.MovePartials(perLevel: true), cancellationToken);
        }

        if (shared)
        {
            await ExecuteAsync(connection, Schema.MovePartials(perLevel: false), cancellationToken);
        }

        foreach (var measurement in measurements)
        {
            var cutoff = RawCutoff(options.RetentionOf(measurement).Raw, nowNs);
            foreach (var table in new[] { "rollup_1m", "rollup_1h" })
            {
                await ExecuteAsync(connection, Invariant($"DELETE FROM {table} WHERE bucket >= {cutoff} AND series_id IN (SELECT id FROM series WHERE measurement = {SqlString(measurement)})"), cancellationToken);
            }
        }

        await ExecuteAsync(connection, Schema.MergeRollupRows("rollup_1m"), cancellationToken);
        await ExecuteAsync(connection, Schema.MergeRollupRows("rollup_1h"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<long> ScalarLongAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Store opened at {Path} with {SeriesCount} series")]
    private static partial void LogOpened(ILogger logger, string path, int seriesCount);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Commit of {Requests} requests ({Points} points) failed; none acknowledged")]
    private static partial void LogCommitFailed(ILogger logger, int requests, int points, Exception exception);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Database copied to a fresh file: {Free} of {Total} blocks were free; {Length} B -> {Copied} B")]
    private static partial void LogReclaimed(ILogger logger, long free, long total, long length, long copied);

    [LoggerMessage(EventId = 118, Level = LogLevel.Debug, Message = "Database copied to a fresh file of {Copied} B, not a block smaller than the store file ({Length} B): the file stays")]
    private static partial void LogCopyDiscarded(ILogger logger, long length, long copied);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Checkpoint on close failed; the WAL will be replayed on next open")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    private sealed record MeasurementIndex(int Version, int Count, Dictionary<string, SeriesInfo[]> Series);

    private enum RequestKind
    {
        Points,
        Columns,
        Maintenance,
    }

    private sealed class WriteRequest(RequestKind kind, IReadOnlyList<Point>? points, IReadOnlyList<SeriesColumns>? columns, UplinkBatch? batch, int pointCount)
    {
        public RequestKind Kind { get; } = kind;

        public IReadOnlyList<Point>? Points { get; } = points;

        public IReadOnlyList<SeriesColumns>? Columns { get; } = columns;

        public UplinkBatch? Batch { get; } = batch;

        /// <summary>Values (fields) in the request, what <see cref="StorageOptions.MaxPointsPerCommit"/> counts.</summary>
        public int PointCount { get; } = pointCount;

        public WriteOutcome Outcome { get; set; } = WriteOutcome.Committed;

        // Completed by the commit loop; continuations run elsewhere so they never block it.
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Set by the commit loop: the series of each field in point and field order, or of each column.
        public List<SeriesInfo> Series { get; set; } = [];

        public List<SeriesInfo> CreatedSeries { get; set; } = [];

        public Func<long>? Maintenance { get; init; }

        public long MaintenanceResult { get; set; }

        /// <summary>Ingest log position this request applies up to (recorded in its transaction), or -1.</summary>
        public long LogPosition { get; init; } = -1;

        /// <summary>Uplink batch sequences the request's logged records carried, recorded in its transaction.</summary>
        public Dictionary<string, ulong>? Sequences { get; init; }

        /// <summary>For logged records: when the earliest was acknowledged (retention counts from it).</summary>
        public long? NowNs { get; init; }
    }
}
