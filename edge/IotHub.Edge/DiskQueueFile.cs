using System.Globalization;
using Microsoft.Data.Sqlite;

namespace IotHub.Edge;

/// <summary>
/// The agent's durable store-and-forward queue: one SQLite file (WAL, synchronous FULL) per agent
/// process, held with an exclusive lock so two agents cannot share it.
/// </summary>
/// <remarks>
/// <para>
/// Every reading is committed here before it is sent. Uplink batches are formed from a device's
/// oldest readings and given the device's next sequence number; the batch (sequence, last reading
/// id) is committed before it is sent, so a resend after a reconnect or a restart carries the
/// same sequence and the same readings, and the hub can drop it when it already committed it.
/// A reading leaves the queue only when the hub acknowledged its batch.
/// </para>
/// <para>
/// Bounded by <see cref="MaxBytes"/> of reading payloads. Policy when full: the oldest routine
/// readings (of any device) are dropped and counted per device; alarm readings are never dropped,
/// so a queue holding only alarms may grow past the bound. Reading ids never repeat
/// (AUTOINCREMENT), so a batch's range never picks up readings queued after it was formed.
/// </para>
/// <para>Thread-safe: one connection, used under a lock; every method is short.</para>
/// </remarks>
public sealed class DiskQueueFile : IDisposable
{
    private const int MaxDropRounds = 64;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<int, DeviceState> _devices = [];
    private long _bytes;
    private long _depth;
    private long _droppedTotal;

    private readonly TimeProvider _time;

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

        // FULL: a committed reading survives power loss, not only a process kill.
        Execute("PRAGMA synchronous=FULL");
        using (var transaction = _connection.BeginTransaction())
        {
            Execute("""
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS devices(
                    key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, next_seq INTEGER NOT NULL DEFAULT 1,
                    enqueued INTEGER NOT NULL DEFAULT 0, acked INTEGER NOT NULL DEFAULT 0,
                    dropped INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0, config TEXT);
                CREATE TABLE IF NOT EXISTS readings(
                    id INTEGER PRIMARY KEY AUTOINCREMENT, device INTEGER NOT NULL, ts INTEGER NOT NULL,
                    alarm INTEGER NOT NULL, payload BLOB NOT NULL);
                CREATE INDEX IF NOT EXISTS readings_by_device ON readings(device, id);
                CREATE TABLE IF NOT EXISTS batches(device INTEGER PRIMARY KEY, seq INTEGER NOT NULL, last_id INTEGER NOT NULL);
                INSERT OR IGNORE INTO meta(key, value) VALUES ('format', 'iothub-edge-queue-1');
                """, transaction);
            transaction.Commit();
        }

        if (!string.Equals(Convert.ToString(Scalar("SELECT value FROM meta WHERE key = 'format'"), CultureInfo.InvariantCulture), "iothub-edge-queue-1", StringComparison.Ordinal))
        {
            throw new InvalidDataException("it is not an agent queue (unknown format)");
        }

        HasReachedHub = Scalar("SELECT value FROM meta WHERE key = 'reached-hub'") is not null;
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT key, id, enqueued, acked, dropped, rejected, config FROM devices";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var state = new DeviceState(reader.GetInt32(0))
                {
                    Enqueued = reader.GetInt64(2),
                    Acknowledged = reader.GetInt64(3),
                    Dropped = reader.GetInt64(4),
                    Rejected = reader.GetInt64(5),
                    Config = reader.IsDBNull(6) ? null : reader.GetString(6),
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

            using var command = _connection.CreateCommand();
            // The first sequence is the registration time in µs (ms x 1000): a device moved to a new
            // queue file (or whose file was lost) continues above every sequence its old file sent,
            // so the hub does not take its new batches for resends. Needs a clock that does not go back.
            command.CommandText = "INSERT INTO devices(id, next_seq) VALUES ($id, $seq) RETURNING key";
            command.Parameters.AddWithValue("$id", deviceId);
            command.Parameters.AddWithValue("$seq", Math.Max(1, _time.GetUtcNow().ToUnixTimeMilliseconds()) * 1000);
            key = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            _keys[deviceId] = key;
            _devices[key] = new DeviceState(key);
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

            Execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('reached-hub', '1')");
            HasReachedHub = true;
        }
    }

    /// <summary>
    /// Commits readings in one transaction, then applies the bound (dropping the oldest routine
    /// readings, counted per device) in the same transaction.
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
            var dropped = _bytes + bytes > MaxBytes ? DropRoutine(transaction, _bytes + bytes - MaxBytes) : null;
            transaction.Commit();

            // Memory follows the committed file.
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
        delete.CommandText = "DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE alarm = 0 ORDER BY id LIMIT $n) RETURNING device, length(payload)";
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
                    var length = reader.GetInt64(1);
                    var (count, bytes) = dropped.GetValueOrDefault(key);
                    dropped[key] = (count + 1, bytes + length);
                    excessBytes -= length;
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
            "dropped" => "UPDATE devices SET dropped = dropped + $n WHERE key = $k",
            "acked" => "UPDATE devices SET acked = acked + $n WHERE key = $k",
            _ => "UPDATE devices SET rejected = rejected + $n WHERE key = $k",
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
    /// sequence, same readings), or a new one of its oldest readings with the next sequence,
    /// committed before it is returned. <c>null</c> when the device has nothing queued.
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

            if (PendingBatch(deviceKey) is { } pending)
            {
                var resend = ReadBatch(deviceKey, pending.LastId, int.MaxValue, int.MaxValue, out _);
                if (resend.Count > 0)
                {
                    return new OutgoingBatch(deviceKey, pending.Sequence, pending.LastId, resend.Count, Join(resend));
                }

                // The full-queue policy dropped all of it: its sequence is skipped (sequences only need to grow).
                using var forget = _connection.CreateCommand();
                forget.CommandText = "DELETE FROM batches WHERE device = $k";
                forget.Parameters.AddWithValue("$k", deviceKey);
                forget.ExecuteNonQuery();
            }

            var rows = ReadBatch(deviceKey, long.MaxValue, maxReadings, maxBytes, out var lastId);
            if (rows.Count == 0)
            {
                return null;
            }

            using var transaction = _connection.BeginTransaction();
            ulong sequence;
            using (var next = _connection.CreateCommand())
            {
                next.Transaction = transaction;
                next.CommandText = "UPDATE devices SET next_seq = next_seq + 1 WHERE key = $k RETURNING next_seq - 1";
                next.Parameters.AddWithValue("$k", deviceKey);
                sequence = Convert.ToUInt64(next.ExecuteScalar(), CultureInfo.InvariantCulture);
            }

            using (var insert = _connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT OR REPLACE INTO batches(device, seq, last_id) VALUES ($k, $s, $l)";
                insert.Parameters.AddWithValue("$k", deviceKey);
                insert.Parameters.AddWithValue("$s", (long)sequence);
                insert.Parameters.AddWithValue("$l", lastId);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            return new OutgoingBatch(deviceKey, sequence, lastId, rows.Count, Join(rows));
        }
    }

    private (ulong Sequence, long LastId)? PendingBatch(int deviceKey)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT seq, last_id FROM batches WHERE device = $k";
        command.Parameters.AddWithValue("$k", deviceKey);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ((ulong)reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    private List<byte[]> ReadBatch(int deviceKey, long upToId, int maxReadings, int maxBytes, out long lastId)
    {
        var rows = new List<byte[]>(Math.Min(maxReadings, 1024));
        lastId = 0;
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, payload FROM readings WHERE device = $k AND id <= $u ORDER BY id LIMIT $n";
        command.Parameters.AddWithValue("$k", deviceKey);
        command.Parameters.AddWithValue("$u", upToId);
        command.Parameters.AddWithValue("$n", maxReadings == int.MaxValue ? -1 : maxReadings);
        using var reader = command.ExecuteReader();
        long bytes = 2;
        while (reader.Read())
        {
            var payload = (byte[])reader.GetValue(1);
            if (rows.Count > 0 && bytes + payload.Length + 1 > maxBytes)
            {
                break;
            }

            bytes += payload.Length + 1;
            rows.Add(payload);
            lastId = reader.GetInt64(0);
        }

        return rows;
    }

    private static byte[] Join(List<byte[]> rows)
    {
        var length = 2 + rows.Count - 1;
        foreach (var row in rows)
        {
            length += row.Length;
        }

        var payload = new byte[length];
        payload[0] = (byte)'[';
        var offset = 1;
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0)
            {
                payload[offset++] = (byte)',';
            }

            rows[i].CopyTo(payload, offset);
            offset += rows[i].Length;
        }

        payload[offset] = (byte)']';
        return payload;
    }

    /// <summary>The hub acknowledged the batch (stored, or already stored): its readings leave the queue.</summary>
    public void Acknowledge(OutgoingBatch batch) => Complete(batch, "acked");

    /// <summary>The hub refused the batch with a reason code: its readings leave the queue, counted as rejected.</summary>
    public void Reject(OutgoingBatch batch) => Complete(batch, "rejected");

    private void Complete(OutgoingBatch batch, string counter)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            long count = 0;
            long bytes = 0;
            using (var delete = _connection.CreateCommand())
            {
                delete.Transaction = transaction;
                delete.CommandText = "DELETE FROM readings WHERE device = $k AND id <= $l RETURNING length(payload)";
                delete.Parameters.AddWithValue("$k", batch.DeviceKey);
                delete.Parameters.AddWithValue("$l", batch.LastId);
                using var reader = delete.ExecuteReader();
                while (reader.Read())
                {
                    count++;
                    bytes += reader.GetInt64(0);
                }
            }

            using (var clear = _connection.CreateCommand())
            {
                clear.Transaction = transaction;
                clear.CommandText = "DELETE FROM batches WHERE device = $k AND seq = $s";
                clear.Parameters.AddWithValue("$k", batch.DeviceKey);
                clear.Parameters.AddWithValue("$s", (long)batch.Sequence);
                clear.ExecuteNonQuery();
            }

            AddToCounters(transaction, counter, new Dictionary<int, long> { [batch.DeviceKey] = count });
            transaction.Commit();
            var state = _devices[batch.DeviceKey];
            if (counter == "acked")
            {
                state.Acknowledged += count;
            }
            else
            {
                state.Rejected += count;
            }

            state.Depth -= count;
            _depth -= count;
            _bytes -= bytes;
        }
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
                command.CommandText = "SELECT ts FROM readings WHERE device = $k ORDER BY id LIMIT 1";
                command.Parameters.AddWithValue("$k", deviceKey);
                oldest = command.ExecuteScalar() is long ts ? ts : null;
            }

            return new DeviceQueueStats(state.Depth, oldest, state.Enqueued, state.Acknowledged, state.Dropped, state.Rejected);
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

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private sealed class DeviceState(int key)
    {
        public int Key { get; } = key;

        public long Depth { get; set; }

        public long Enqueued { get; set; }

        public long Acknowledged { get; set; }

        public long Dropped { get; set; }

        public long Rejected { get; set; }

        public string? Config { get; set; }
    }
}
