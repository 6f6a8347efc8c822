using System.Globalization;
using Microsoft.Data.Sqlite;

namespace IotHub.Edge;

/// <summary>
/// The agent's durable store-and-forward queue: one SQLite file (WAL) per agent process, held
/// with an exclusive lock so two agents cannot share it.
/// </summary>
/// <remarks>
/// <para>
/// Every reading is committed here (fsynced: it survives power loss) before it is sent. Uplink
/// batches are formed from a device's oldest unacknowledged readings; a batch's sequence is the
/// device's sequence base plus the queue id of its last reading, so it grows with every batch and
/// is never given to different readings. The batch (sequence, last reading id) is recorded before
/// it is sent, so a resend after a reconnect or a restart carries the same sequence and the same
/// readings, and the hub drops it when it already committed it.
/// </para>
/// <para>
/// A reading leaves the queue only when the hub acknowledged its batch: the device's
/// acknowledged-up-to id moves past it. Batch records and acknowledgements are committed without
/// fsync (they survive a killed process, not a power loss): after a power loss the worst case is
/// a batch sent again, which the hub drops as a duplicate or, when the batch was formed anew with
/// more readings and so a higher sequence, writes again over the same points (the store keeps one
/// value per series and time). Acknowledged rows are deleted in bulk (see <see cref="CompactRows"/>),
/// not one batch at a time: a device's rows are spread over the whole file, and deleting them
/// batch by batch rewrote most pages once per batch.
/// </para>
/// <para>
/// Bounded by <see cref="MaxBytes"/> of unacknowledged reading payloads. Policy when full: the
/// oldest routine readings (of any device) are dropped and counted per device; alarm readings are
/// never dropped, so a queue holding only alarms may grow past the bound. The file itself holds at
/// most as many acknowledged rows as unacknowledged ones, plus <see cref="CompactRows"/>. Reading
/// ids never repeat (AUTOINCREMENT), so a batch's range never picks up readings queued after it
/// was formed.
/// </para>
/// <para>
/// Payloads are one reading each in the file's <see cref="Format"/>: InfluxDB line protocol
/// (one line, nanosecond timestamp) for files this version creates; JSON objects for files an
/// earlier version created, which keep JSON until they are replaced.
/// </para>
/// <para>Thread-safe: one connection, used under a lock; every method is short.</para>
/// </remarks>
public sealed class DiskQueueFile : IDisposable
{
    /// <summary>Acknowledged rows kept before they are deleted in bulk (and while they are fewer than the unacknowledged ones).</summary>
    public const int CompactRows = 65_536;

    private const int MaxDropRounds = 64;
    private const string FormatV1 = "iothub-edge-queue-1";
    private const string FormatV2 = "iothub-edge-queue-2";

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<int, DeviceState> _devices = [];
    private readonly TimeProvider _time;
    private long _bytes;
    private long _depth;
    private long _droppedTotal;
    private long _garbage;
    private bool _fullSync;

    private DiskQueueFile(SqliteConnection connection, string path, long maxBytes, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        Path = path;
        MaxBytes = maxBytes;
    }

    /// <summary>The queue file.</summary>
    public string Path { get; }

    /// <summary>Bound on the queued readings' payload bytes (alarms excepted, see remarks).</summary>
    public long MaxBytes { get; }

    /// <summary>How the file keeps readings, and so how batches are sent.</summary>
    public QueuePayloadFormat Format { get; private set; }

    /// <summary>Payload bytes queued now.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Readings queued now, every device.</summary>
    public long Depth
    {
        get
        {
            lock (_lock)
            {
                return _depth;
            }
        }
    }

    /// <summary>Routine readings dropped because the queue was full, every device, since the file was created.</summary>
    public long DroppedTotal
    {
        get
        {
            lock (_lock)
            {
                return _droppedTotal;
            }
        }
    }

    /// <summary>Whether any device of this queue has ever been connected to the hub.</summary>
    public bool HasReachedHub { get; private set; }

    /// <summary>
    /// Opens (or creates) the queue file. A file that is not a queue, cannot be opened, or is used by
    /// another agent throws an <see cref="EdgeConfigurationException"/> naming the file.
    /// </summary>
    public static DiskQueueFile Open(string path, long maxBytes, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 4096);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new EdgeConfigurationException($"queue file '{fullPath}' is a directory; give a file path");
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 5,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            var queue = new DiskQueueFile(connection, fullPath, maxBytes, time ?? TimeProvider.System);
            queue.Initialize();
            return queue;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            var reason = ex.SqliteErrorCode switch
            {
                5 or 6 => "it is in use by another agent process",
                8 => "it is read-only",
                11 or 26 => "it is not an agent queue (SQLite) file or is corrupt",
                14 => "it cannot be opened (missing folder or no permission)",
                _ => ex.Message,
            };
            throw new EdgeConfigurationException($"queue file '{fullPath}' is unreadable: {reason}", ex);
        }
        catch (InvalidDataException ex)
        {
            connection.Dispose();
            throw new EdgeConfigurationException($"queue file '{fullPath}' is unreadable: {ex.Message}", ex);
        }
    }

    private void Initialize()
    {
        // Exclusive locking: the lock is taken by the first write below and held until Dispose (or
        // the process dies), so a second agent on the same file fails at start.
        Execute("PRAGMA locking_mode=EXCLUSIVE");
        var mode = Scalar("PRAGMA journal_mode=WAL");
        if (!string.Equals(Convert.ToString(mode, CultureInfo.InvariantCulture), "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException("WAL mode is not available for it");
        }

        // A replay reads every device's rows, which lie spread over the whole file (a round of
        // samples is stored together): read through a memory map, a page costs no copy.
        Execute("PRAGMA mmap_size=" + (MaxBytes * 4).ToString(CultureInfo.InvariantCulture));
        SetFullSync(true);
        using (var transaction = _connection.BeginTransaction())
        {
            var format = Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", transaction) is long and > 0
                ? Convert.ToString(Scalar("SELECT value FROM meta WHERE key = 'format'", transaction), CultureInfo.InvariantCulture)
                : null;
            switch (format)
            {
                case null when Scalar("SELECT count(*) FROM sqlite_master", transaction) is long and > 0:
                    throw new InvalidDataException("it is not an agent queue (a SQLite file of something else)");
                case null:
                    Execute("""
                        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                        CREATE TABLE devices(
                            key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, seq_base INTEGER NOT NULL, acked_id INTEGER NOT NULL DEFAULT 0,
                            enqueued INTEGER NOT NULL DEFAULT 0, acked INTEGER NOT NULL DEFAULT 0,
                            dropped INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0, config TEXT);
                        CREATE TABLE readings(
                            id INTEGER PRIMARY KEY AUTOINCREMENT, device INTEGER NOT NULL, ts INTEGER NOT NULL,
                            alarm INTEGER NOT NULL, payload BLOB NOT NULL);
                        CREATE INDEX readings_by_device ON readings(device, id);
                        CREATE TABLE batches(device INTEGER PRIMARY KEY, seq INTEGER NOT NULL, last_id INTEGER NOT NULL);
                        INSERT INTO meta(key, value) VALUES ('format', 'iothub-edge-queue-2'), ('payload', 'line-protocol');
                        """, transaction);
                    break;
                case FormatV1:
                    // Readings stay JSON. Sequences continue above every one the old file gave out.
                    Execute("""
                        ALTER TABLE devices ADD COLUMN seq_base INTEGER NOT NULL DEFAULT 0;
                        ALTER TABLE devices ADD COLUMN acked_id INTEGER NOT NULL DEFAULT 0;
                        UPDATE devices SET seq_base = next_seq;
                        UPDATE meta SET value = 'iothub-edge-queue-2' WHERE key = 'format';
                        INSERT INTO meta(key, value) VALUES ('payload', 'json');
                        """, transaction);
                    break;
                case FormatV2:
                    break;
                default:
                    throw new InvalidDataException($"it is not an agent queue (unknown format '{format}')");
            }

            // Acknowledged rows left by the last run go now, so counting below sees the queue only.
            Execute("DELETE FROM readings WHERE id <= (SELECT acked_id FROM devices WHERE devices.key = readings.device)", transaction);
            transaction.Commit();
        }

        Format = string.Equals(Convert.ToString(Scalar("SELECT value FROM meta WHERE key = 'payload'"), CultureInfo.InvariantCulture), "json", StringComparison.Ordinal)
            ? QueuePayloadFormat.Json
            : QueuePayloadFormat.LineProtocol;
        HasReachedHub = Scalar("SELECT value FROM meta WHERE key = 'reached-hub'") is not null;
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT key, id, seq_base, acked_id, enqueued, acked, dropped, rejected, config FROM devices";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var state = new DeviceState(reader.GetInt32(0), reader.GetInt64(2))
                {
                    AckedId = reader.GetInt64(3),
                    Enqueued = reader.GetInt64(4),
                    Acknowledged = reader.GetInt64(5),
                    Dropped = reader.GetInt64(6),
                    Rejected = reader.GetInt64(7),
                    Config = reader.IsDBNull(8) ? null : reader.GetString(8),
                };
                _keys[reader.GetString(1)] = state.Key;
                _devices[state.Key] = state;
                _droppedTotal += state.Dropped;
            }
        }

        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT device, count(*), sum(length(payload)) FROM readings GROUP BY device";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (_devices.TryGetValue(reader.GetInt32(0), out var state))
                {
                    state.Depth = reader.GetInt64(1);
                    _depth += state.Depth;
                    _bytes += reader.GetInt64(2);
                }
            }
        }

        using (var command = _connection.CreateCommand())
        {
            command.CommandText = """
                SELECT b.device, b.seq, b.last_id, count(r.id), coalesce(sum(length(r.payload)), 0)
                FROM batches b LEFT JOIN readings r ON r.device = b.device AND r.id <= b.last_id
                GROUP BY b.device
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (_devices.TryGetValue(reader.GetInt32(0), out var state))
                {
                    state.Pending = new PendingBatch((ulong)reader.GetInt64(1), reader.GetInt64(2)) { Count = reader.GetInt64(3), Bytes = reader.GetInt64(4) };
                }
            }
        }
    }

    /// <summary>The device's key in this queue, registering it on first use (its counters and batch sequence persist).</summary>
    public int RegisterDevice(string deviceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        lock (_lock)
        {
            if (_keys.TryGetValue(deviceId, out var key))
            {
                return key;
            }

            // The sequence base is the registration time in µs (ms x 1000): a device moved to a new
            // queue file (or whose file was lost) continues above every sequence its old file sent,
            // as long as that file queued fewer readings than microseconds passed since. Needs a
            // clock that does not go back.
            var seqBase = Math.Max(1, _time.GetUtcNow().ToUnixTimeMilliseconds()) * 1000;
            SetFullSync(true);
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO devices(id, seq_base) VALUES ($id, $seq) RETURNING key";
            command.Parameters.AddWithValue("$id", deviceId);
            command.Parameters.AddWithValue("$seq", seqBase);
            key = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            _keys[deviceId] = key;
            _devices[key] = new DeviceState(key, seqBase);
            return key;
        }
    }

    /// <summary>Records that the hub was reached once, so later starts may begin offline.</summary>
    public void MarkHubReached()
    {
        lock (_lock)
        {
            if (HasReachedHub)
            {
                return;
            }

            SetFullSync(true);
            Execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('reached-hub', '1')");
            HasReachedHub = true;
        }
    }

    /// <summary>
    /// Commits readings in one fsynced transaction, then applies the bound (dropping the oldest
    /// routine readings, counted per device) in the same transaction.
    /// </summary>
    public void Enqueue(IReadOnlyList<QueuedReading> readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        if (readings.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            SetFullSync(true);
            using var transaction = _connection.BeginTransaction();
            using (var insert = _connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO readings(device, ts, alarm, payload) VALUES ($d, $t, $a, $p)";
                var device = insert.Parameters.Add("$d", SqliteType.Integer);
                var ts = insert.Parameters.Add("$t", SqliteType.Integer);
                var alarm = insert.Parameters.Add("$a", SqliteType.Integer);
                var payload = insert.Parameters.Add("$p", SqliteType.Blob);
                insert.Prepare();
                for (var i = 0; i < readings.Count; i++)
                {
                    var reading = readings[i];
                    device.Value = reading.DeviceKey;
                    ts.Value = reading.TimestampMs;
                    alarm.Value = reading.IsAlarm ? 1 : 0;
                    payload.Value = reading.Payload;
                    insert.ExecuteNonQuery();
                }
            }

            var added = new Dictionary<int, long>();
            long bytes = 0;
            for (var i = 0; i < readings.Count; i++)
            {
                added[readings[i].DeviceKey] = added.GetValueOrDefault(readings[i].DeviceKey) + 1;
                bytes += readings[i].Payload.Length;
            }

            AddToCounters(transaction, "enqueued", added);
            Dictionary<int, (long Count, long Bytes)>? dropped = null;
            var compacted = false;
            if (_bytes + bytes > MaxBytes)
            {
                // Acknowledged rows first, so only unacknowledged readings are dropped (and counted).
                compacted = DeleteAcknowledgedRows(transaction, truncate: false);
                dropped = DropRoutine(transaction, _bytes + bytes - MaxBytes);
            }

            transaction.Commit();

            // Memory follows the committed file.
            if (compacted)
            {
                ForgetGarbage();
            }

            foreach (var (key, count) in added)
            {
                var state = _devices[key];
                state.Enqueued += count;
                state.Depth += count;
            }

            _depth += readings.Count;
            _bytes += bytes;
            if (dropped is not null)
            {
                foreach (var (key, (count, droppedBytes)) in dropped)
                {
                    var state = _devices[key];
                    state.Dropped += count;
                    state.Depth -= count;
                    _depth -= count;
                    _bytes -= droppedBytes;
                    _droppedTotal += count;
                }
            }
        }
    }

    private Dictionary<int, (long Count, long Bytes)> DropRoutine(SqliteTransaction transaction, long excessBytes)
    {
        var dropped = new Dictionary<int, (long Count, long Bytes)>();
        using var delete = _connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE alarm = 0 ORDER BY id LIMIT $n) RETURNING device, id, length(payload)";
        var limit = delete.Parameters.Add("$n", SqliteType.Integer);
        var averageBytes = Math.Max(16, _depth > 0 ? _bytes / _depth : 128);
        for (var round = 0; round < MaxDropRounds && excessBytes > 0; round++)
        {
            limit.Value = Math.Max(1, (excessBytes / averageBytes) + 1);
            var any = false;
            using (var reader = delete.ExecuteReader())
            {
                while (reader.Read())
                {
                    any = true;
                    var key = reader.GetInt32(0);
                    var id = reader.GetInt64(1);
                    var length = reader.GetInt64(2);
                    var (count, bytes) = dropped.GetValueOrDefault(key);
                    dropped[key] = (count + 1, bytes + length);
                    excessBytes -= length;

                    // A batch on its way loses the reading too: its acknowledgement counts what is left.
                    if (_devices.TryGetValue(key, out var state) && state.Pending is { } pending && id <= pending.LastId)
                    {
                        pending.Count--;
                        pending.Bytes -= length;
                    }
                }
            }

            if (!any)
            {
                // Only alarms left: they are kept, past the bound.
                break;
            }
        }

        var counts = new Dictionary<int, long>(dropped.Count);
        foreach (var (key, (count, _)) in dropped)
        {
            counts[key] = count;
        }

        AddToCounters(transaction, "dropped", counts);
        return dropped;
    }

    private void AddToCounters(SqliteTransaction transaction, string column, Dictionary<int, long> counts)
    {
        using var update = _connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = column switch
        {
            "enqueued" => "UPDATE devices SET enqueued = enqueued + $n WHERE key = $k",
            _ => "UPDATE devices SET dropped = dropped + $n WHERE key = $k",
        };
        var n = update.Parameters.Add("$n", SqliteType.Integer);
        var k = update.Parameters.Add("$k", SqliteType.Integer);
        foreach (var (key, count) in counts)
        {
            n.Value = count;
            k.Value = key;
            update.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// The device's next batch to send: the batch formed earlier and not yet acknowledged (same
    /// sequence, same readings), or a new one of its oldest readings, recorded before it is
    /// returned. <c>null</c> when the device has nothing queued.
    /// </summary>
    public OutgoingBatch? NextBatch(int deviceKey, int maxReadings, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReadings, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 64);
        lock (_lock)
        {
            var state = _devices[deviceKey];
            if (state.Depth == 0)
            {
                return null;
            }

            SetFullSync(false);
            if (state.Pending is { } pending)
            {
                var resend = ReadBatch(state, pending.LastId, int.MaxValue, int.MaxValue, out _, out _);
                if (resend.Count > 0)
                {
                    return new OutgoingBatch(deviceKey, pending.Sequence, pending.LastId, resend.Count, Join(resend));
                }

                // The full-queue policy dropped all of it: its sequence is skipped (sequences only need to grow).
                using var forget = _connection.CreateCommand();
                forget.CommandText = "DELETE FROM batches WHERE device = $k";
                forget.Parameters.AddWithValue("$k", deviceKey);
                forget.ExecuteNonQuery();
                state.Pending = null;
            }

            var rows = ReadBatch(state, long.MaxValue, maxReadings, maxBytes, out var lastId, out var bytes);
            if (rows.Count == 0)
            {
                return null;
            }

            var sequence = (ulong)(state.SeqBase + lastId);
            using (var insert = _connection.CreateCommand())
            {
                insert.CommandText = "INSERT OR REPLACE INTO batches(device, seq, last_id) VALUES ($k, $s, $l)";
                insert.Parameters.AddWithValue("$k", deviceKey);
                insert.Parameters.AddWithValue("$s", (long)sequence);
                insert.Parameters.AddWithValue("$l", lastId);
                insert.ExecuteNonQuery();
            }

            state.Pending = new PendingBatch(sequence, lastId) { Count = rows.Count, Bytes = bytes };
            return new OutgoingBatch(deviceKey, sequence, lastId, rows.Count, Join(rows));
        }
    }

    private List<byte[]> ReadBatch(DeviceState state, long upToId, int maxReadings, int maxBytes, out long lastId, out long bytes)
    {
        var rows = new List<byte[]>(Math.Min(maxReadings, 1024));
        lastId = 0;
        bytes = 0;
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, payload FROM readings WHERE device = $k AND id > $a AND id <= $u ORDER BY id LIMIT $n";
        command.Parameters.AddWithValue("$k", state.Key);
        command.Parameters.AddWithValue("$a", state.AckedId);
        command.Parameters.AddWithValue("$u", upToId);
        command.Parameters.AddWithValue("$n", maxReadings == int.MaxValue ? -1 : maxReadings);
        using var reader = command.ExecuteReader();

        // Room for the JSON array's brackets and commas (line protocol needs less).
        long framed = 2;
        while (reader.Read())
        {
            var payload = (byte[])reader.GetValue(1);
            if (rows.Count > 0 && framed + payload.Length + 1 > maxBytes)
            {
                break;
            }

            framed += payload.Length + 1;
            bytes += payload.Length;
            rows.Add(payload);
            lastId = reader.GetInt64(0);
        }

        return rows;
    }

    private byte[] Join(List<byte[]> rows)
    {
        var json = Format == QueuePayloadFormat.Json;
        var length = json ? 2 + rows.Count - 1 : 0;
        foreach (var row in rows)
        {
            length += row.Length;
        }

        // Line protocol rows end with their own line feed: a batch is the rows back to back.
        var payload = new byte[length];
        var offset = 0;
        if (json)
        {
            payload[offset++] = (byte)'[';
        }

        for (var i = 0; i < rows.Count; i++)
        {
            if (json && i > 0)
            {
                payload[offset++] = (byte)',';
            }

            rows[i].CopyTo(payload, offset);
            offset += rows[i].Length;
        }

        if (json)
        {
            payload[offset] = (byte)']';
        }

        return payload;
    }

    /// <summary>The hub acknowledged the batch (stored, or already stored): its readings leave the queue.</summary>
    public void Acknowledge(OutgoingBatch batch) => Complete(batch, 0);

    /// <summary>The hub refused the whole batch with a reason code: its readings leave the queue, counted as rejected.</summary>
    public void Reject(OutgoingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Complete(batch, batch.Count);
    }

    /// <summary>
    /// The hub stored the batch but refused <paramref name="rejectedReadings"/> of its readings
    /// (they are not retried): the batch leaves the queue, those counted as rejected.
    /// </summary>
    public void Complete(OutgoingBatch batch, int rejectedReadings)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(rejectedReadings);
        lock (_lock)
        {
            var state = _devices[batch.DeviceKey];
            if (state.Pending is not { } pending || pending.Sequence != batch.Sequence)
            {
                // Already completed (an acknowledgement seen twice): nothing left to do.
                return;
            }

            var rejected = Math.Min(rejectedReadings, pending.Count);
            var acknowledged = pending.Count - rejected;
            SetFullSync(false);
            using (var transaction = _connection.BeginTransaction())
            {
                using (var update = _connection.CreateCommand())
                {
                    update.Transaction = transaction;
                    update.CommandText = "UPDATE devices SET acked_id = $l, acked = acked + $a, rejected = rejected + $r WHERE key = $k";
                    update.Parameters.AddWithValue("$l", pending.LastId);
                    update.Parameters.AddWithValue("$a", acknowledged);
                    update.Parameters.AddWithValue("$r", rejected);
                    update.Parameters.AddWithValue("$k", batch.DeviceKey);
                    update.ExecuteNonQuery();
                }

                using (var clear = _connection.CreateCommand())
                {
                    clear.Transaction = transaction;
                    clear.CommandText = "DELETE FROM batches WHERE device = $k";
                    clear.Parameters.AddWithValue("$k", batch.DeviceKey);
                    clear.ExecuteNonQuery();
                }

                transaction.Commit();
            }

            state.AckedId = pending.LastId;
            state.Pending = null;
            state.Acknowledged += acknowledged;
            state.Rejected += rejected;
            state.Depth -= pending.Count;
            state.Garbage += pending.Count;
            _garbage += pending.Count;
            _depth -= pending.Count;
            _bytes -= pending.Bytes;

            if (_garbage > 0 && (_depth == 0 || (_garbage >= CompactRows && _garbage >= _depth)))
            {
                using var transaction = _connection.BeginTransaction();
                DeleteAcknowledgedRows(transaction, truncate: _depth == 0);
                transaction.Commit();
                ForgetGarbage();
            }
        }
    }

    /// <summary>Deletes every acknowledged row in the transaction; true when there were any.</summary>
    private bool DeleteAcknowledgedRows(SqliteTransaction transaction, bool truncate)
    {
        if (_garbage == 0)
        {
            return false;
        }

        using var delete = _connection.CreateCommand();
        delete.Transaction = transaction;
        if (truncate)
        {
            // Nothing unacknowledged: SQLite empties the table without visiting its rows.
            delete.CommandText = "DELETE FROM readings";
            delete.ExecuteNonQuery();
            return true;
        }

        // One transaction for every device: each page is rewritten once, not once per device.
        delete.CommandText = "DELETE FROM readings WHERE device = $k AND id <= $a";
        var key = delete.Parameters.Add("$k", SqliteType.Integer);
        var acked = delete.Parameters.Add("$a", SqliteType.Integer);
        foreach (var state in _devices.Values)
        {
            if (state.Garbage > 0)
            {
                key.Value = state.Key;
                acked.Value = state.AckedId;
                delete.ExecuteNonQuery();
            }
        }

        return true;
    }

    private void ForgetGarbage()
    {
        foreach (var state in _devices.Values)
        {
            state.Garbage = 0;
        }

        _garbage = 0;
    }

    /// <summary>The device's part of the queue now.</summary>
    public DeviceQueueStats Stats(int deviceKey)
    {
        lock (_lock)
        {
            var state = _devices[deviceKey];
            long? oldest = null;
            if (state.Depth > 0)
            {
                using var command = _connection.CreateCommand();
                command.CommandText = "SELECT ts FROM readings WHERE device = $k AND id > $a ORDER BY id LIMIT 1";
                command.Parameters.AddWithValue("$k", deviceKey);
                command.Parameters.AddWithValue("$a", state.AckedId);
                oldest = command.ExecuteScalar() is long ts ? ts : null;
            }

            return new DeviceQueueStats(state.Depth, oldest, state.Enqueued, state.Acknowledged, state.Dropped, state.Rejected);
        }
    }

    /// <summary>Readings of the device waiting now (no file access).</summary>
    public long DepthOf(int deviceKey)
    {
        lock (_lock)
        {
            return _devices[deviceKey].Depth;
        }
    }

    /// <summary>The device's last remote configuration (JSON) kept for starts without the hub, or <c>null</c>.</summary>
    public string? LoadConfig(int deviceKey)
    {
        lock (_lock)
        {
            return _devices[deviceKey].Config;
        }
    }

    /// <summary>Keeps the device's remote configuration (JSON) for starts without the hub.</summary>
    public void SaveConfig(int deviceKey, string json)
    {
        lock (_lock)
        {
            SetFullSync(true);
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE devices SET config = $c WHERE key = $k";
            command.Parameters.AddWithValue("$c", json);
            command.Parameters.AddWithValue("$k", deviceKey);
            command.ExecuteNonQuery();
            _devices[deviceKey].Config = json;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _connection.Dispose();
        }
    }

    /// <summary>
    /// FULL: a commit is fsynced (readings, configuration). NORMAL: a commit reaches the WAL
    /// without fsync (batch records, acknowledgements; see remarks); the next FULL commit syncs it.
    /// </summary>
    private void SetFullSync(bool full)
    {
        if (_fullSync != full)
        {
            Execute(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
            _fullSync = full;
        }
    }

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private sealed class PendingBatch(ulong sequence, long lastId)
    {
        public ulong Sequence { get; } = sequence;

        public long LastId { get; } = lastId;

        // Readings of the batch still queued (the full-queue policy may drop some) and their bytes.
        public long Count { get; set; }

        public long Bytes { get; set; }
    }

    private sealed class DeviceState(int key, long seqBase)
    {
        public int Key { get; } = key;

        public long SeqBase { get; } = seqBase;

        // Readings up to this id are acknowledged; their rows wait for DeleteAcknowledgedRows.
        public long AckedId { get; set; }

        public PendingBatch? Pending { get; set; }

        public long Depth { get; set; }

        public long Garbage { get; set; }

        public long Enqueued { get; set; }

        public long Acknowledged { get; set; }

        public long Dropped { get; set; }

        public long Rejected { get; set; }

        public string? Config { get; set; }
    }
}
