using System.Text;

namespace IotHub.Edge.Tests;

public sealed class DiskQueueFileTests
{
    private static QueuedReading Reading(int device, long ts, bool alarm = false) =>
        new(device, ts, alarm, Encoding.UTF8.GetBytes($"traffic volume=1i {ts * 1_000_000}\n"));

    [Fact]
    public void NextBatch_AfterReopen_SameSequenceAndReadings()
    {
        using var folder = new TempFolder();
        var path = folder.File("q.db");
        OutgoingBatch first;
        using (var queue = DiskQueueFile.Open(path, 1 << 20))
        {
            var device = queue.RegisterDevice("d-1");
            queue.Enqueue([.. Enumerable.Range(1, 10).Select(i => Reading(device, i))]);
            first = queue.NextBatch(device, maxReadings: 4, maxBytes: 1 << 16)!;
            Assert.True(first.Sequence > 1_000_000_000_000_000UL, $"first sequence {first.Sequence} is not seeded from the clock");
            Assert.Equal(4, first.Count);

            // Readings queued after the batch was formed do not join it.
            queue.Enqueue([Reading(device, 11)]);
        }

        using (var queue = DiskQueueFile.Open(path, 1 << 20))
        {
            var device = queue.RegisterDevice("d-1");
            var resend = queue.NextBatch(device, maxReadings: 8, maxBytes: 1 << 16)!;
            Assert.Equal(first.Sequence, resend.Sequence);
            Assert.Equal(first.Payload, resend.Payload);
            Assert.StartsWith("traffic volume=1i 1000000\ntraffic volume=1i 2000000\n", Encoding.UTF8.GetString(resend.Payload), StringComparison.Ordinal);

            queue.Acknowledge(resend);
            var second = queue.NextBatch(device, maxReadings: 100, maxBytes: 1 << 16)!;
            Assert.True(second.Sequence > first.Sequence, $"{second.Sequence} after {first.Sequence}");
            Assert.Equal(7, second.Count);
            Assert.StartsWith("traffic volume=1i 5000000\n", Encoding.UTF8.GetString(second.Payload), StringComparison.Ordinal);
            queue.Acknowledge(second);
            Assert.Null(queue.NextBatch(device, 100, 1 << 16));
            var stats = queue.Stats(device);
            Assert.Equal((0L, 11L, 11L, 0L), (stats.Depth, stats.Enqueued, stats.Acknowledged, stats.Dropped));
        }
    }

    [Fact]
    public void NextBatch_AfterRestart_SequenceContinues()
    {
        using var folder = new TempFolder();
        var path = folder.File("q.db");
        ulong first;
        using (var queue = DiskQueueFile.Open(path, 1 << 20))
        {
            var device = queue.RegisterDevice("d-1");
            queue.Enqueue([Reading(device, 1)]);
            var batch = queue.NextBatch(device, 10, 1 << 16)!;
            first = batch.Sequence;
            queue.Acknowledge(batch);
        }

        using (var queue = DiskQueueFile.Open(path, 1 << 20))
        {
            var device = queue.RegisterDevice("d-1");
            queue.Enqueue([Reading(device, 2)]);
            Assert.True(queue.NextBatch(device, 10, 1 << 16)!.Sequence > first);
        }
    }

    [Fact]
    public void RegisterDevice_NewQueueFileLater_SequencesAboveTheOldFile()
    {
        using var folder = new TempFolder();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-07-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        ulong old = 0;
        using (var queue = DiskQueueFile.Open(folder.File("old.db"), 1 << 20, time))
        {
            var device = queue.RegisterDevice("d-1");
            for (var i = 0; i < 50; i++)
            {
                queue.Enqueue([Reading(device, i + 1)]);
                var batch = queue.NextBatch(device, 1, 1 << 16)!;
                old = batch.Sequence;
                queue.Acknowledge(batch);
            }
        }

        time.Advance(TimeSpan.FromMilliseconds(1));
        using var replacement = DiskQueueFile.Open(folder.File("new.db"), 1 << 20, time);
        var key = replacement.RegisterDevice("d-1");
        replacement.Enqueue([Reading(key, 200)]);

        Assert.True(replacement.NextBatch(key, 1, 1 << 16)!.Sequence > old);
    }

    [Fact]
    public void Enqueue_QueueFull_DropsOldestRoutineKeepsAlarms()
    {
        using var folder = new TempFolder();
        using var queue = DiskQueueFile.Open(folder.File("q.db"), 8192);
        var routine = queue.RegisterDevice("detector");
        var alarms = queue.RegisterDevice("manhole");
        for (var ts = 1; ts <= 400; ts++)
        {
            queue.Enqueue([Reading(routine, ts), Reading(alarms, ts, alarm: true)]);
        }

        var routineStats = queue.Stats(routine);
        var alarmStats = queue.Stats(alarms);
        Assert.Equal(400, alarmStats.Depth);
        Assert.Equal(0, alarmStats.Dropped);
        Assert.Equal(1, alarmStats.OldestUnsentMs);
        Assert.Equal(0, routineStats.Depth);
        Assert.Equal(400, routineStats.Dropped);
        Assert.Equal(400, queue.DroppedTotal);
    }

    [Fact]
    public void Enqueue_QueueFull_DropsRoutineOldestFirst()
    {
        using var folder = new TempFolder();
        using var queue = DiskQueueFile.Open(folder.File("q.db"), 8192);
        var device = queue.RegisterDevice("detector");
        for (var ts = 1; ts <= 1000; ts++)
        {
            queue.Enqueue([Reading(device, ts)]);
        }

        var stats = queue.Stats(device);
        Assert.True(queue.Bytes <= queue.MaxBytes, $"{queue.Bytes} bytes over the bound {queue.MaxBytes}");
        Assert.Equal(1000, stats.Depth + stats.Dropped);
        Assert.Equal(stats.Dropped + 1, stats.OldestUnsentMs);
    }

    [Fact]
    public void Acknowledge_WholeBacklog_RowsGoAndCountsHoldAcrossReopen()
    {
        using var folder = new TempFolder();
        var path = folder.File("q.db");
        using (var queue = DiskQueueFile.Open(path, 1 << 24))
        {
            var a = queue.RegisterDevice("a");
            var b = queue.RegisterDevice("b");
            for (var ts = 1; ts <= 300; ts++)
            {
                queue.Enqueue([Reading(a, ts), Reading(b, ts)]);
            }

            // All of a, half of b: b's rest must survive the reopen, a's rows must not come back.
            while (queue.NextBatch(a, 64, 1 << 16) is { } batch)
            {
                queue.Acknowledge(batch);
            }

            var half = queue.NextBatch(b, 150, 1 << 16)!;
            queue.Acknowledge(half);
            queue.Acknowledge(half);
            Assert.Equal(150, queue.Depth);
        }

        using (var queue = DiskQueueFile.Open(path, 1 << 24))
        {
            var a = queue.RegisterDevice("a");
            var b = queue.RegisterDevice("b");
            Assert.Equal(150, queue.Depth);
            Assert.Equal((0L, 300L, 300L), (queue.Stats(a).Depth, queue.Stats(a).Enqueued, queue.Stats(a).Acknowledged));
            Assert.Equal((150L, 151L, 150L), (queue.Stats(b).Depth, queue.Stats(b).OldestUnsentMs, queue.Stats(b).Acknowledged));
            Assert.Null(queue.NextBatch(a, 10, 1 << 16));
            var rest = queue.NextBatch(b, 1000, 1 << 16)!;
            Assert.Equal(150, rest.Count);
            Assert.StartsWith("traffic volume=1i 151000000\n", Encoding.UTF8.GetString(rest.Payload), StringComparison.Ordinal);
            queue.Acknowledge(rest);
            Assert.Equal(0, queue.Depth);
            Assert.Equal(0, queue.Bytes);
        }
    }

    [Fact]
    public void Enqueue_QueueFullWhileBatchInFlight_AcknowledgementCountsOnlyWhatWasLeft()
    {
        using var folder = new TempFolder();
        using var queue = DiskQueueFile.Open(folder.File("q.db"), 8192);
        var device = queue.RegisterDevice("detector");
        for (var ts = 1; ts <= 100; ts++)
        {
            queue.Enqueue([Reading(device, ts)]);
        }

        var batch = queue.NextBatch(device, 50, 1 << 16)!;
        for (var ts = 101; ts <= 400; ts++)
        {
            queue.Enqueue([Reading(device, ts)]);
        }

        queue.Acknowledge(batch);

        var stats = queue.Stats(device);
        Assert.True(stats.Dropped >= 50, $"only {stats.Dropped} dropped");
        Assert.Equal(400, stats.Depth + stats.Dropped + stats.Acknowledged);
        Assert.Equal(queue.Depth, stats.Depth);
    }

    [Fact]
    public void Open_FileOfEarlierAgent_KeepsJsonReadingsAndPendingBatch()
    {
        using var folder = new TempFolder();
        var path = folder.File("old.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE devices(
                    key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, next_seq INTEGER NOT NULL DEFAULT 1,
                    enqueued INTEGER NOT NULL DEFAULT 0, acked INTEGER NOT NULL DEFAULT 0,
                    dropped INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0, config TEXT);
                CREATE TABLE readings(
                    id INTEGER PRIMARY KEY AUTOINCREMENT, device INTEGER NOT NULL, ts INTEGER NOT NULL,
                    alarm INTEGER NOT NULL, payload BLOB NOT NULL);
                CREATE INDEX readings_by_device ON readings(device, id);
                CREATE TABLE batches(device INTEGER PRIMARY KEY, seq INTEGER NOT NULL, last_id INTEGER NOT NULL);
                INSERT INTO meta VALUES ('format', 'iothub-edge-queue-1');
                INSERT INTO devices(key, id, next_seq, enqueued, acked) VALUES (1, 'g-1', 1000000000000008, 12, 9);
                INSERT INTO readings(id, device, ts, alarm, payload) VALUES
                    (10, 1, 10, 0, CAST('{"ts":10,"values":{"level":1.5}}' AS BLOB)),
                    (11, 1, 11, 0, CAST('{"ts":11,"values":{"level":1.6}}' AS BLOB)),
                    (12, 1, 12, 0, CAST('{"ts":12,"values":{"level":1.7}}' AS BLOB));
                INSERT INTO batches VALUES (1, 1000000000000007, 11);
                """;
            command.ExecuteNonQuery();
        }

        using var queue = DiskQueueFile.Open(path, 1 << 20);
        var device = queue.RegisterDevice("g-1");
        Assert.Equal(QueuePayloadFormat.Json, queue.Format);
        Assert.Equal(3, queue.Depth);

        var pending = queue.NextBatch(device, 100, 1 << 16)!;
        Assert.Equal(1000000000000007UL, pending.Sequence);
        Assert.Equal("""[{"ts":10,"values":{"level":1.5}},{"ts":11,"values":{"level":1.6}}]""", Encoding.UTF8.GetString(pending.Payload));
        queue.Acknowledge(pending);

        var next = queue.NextBatch(device, 100, 1 << 16)!;
        Assert.True(next.Sequence >= 1000000000000008UL, $"sequence {next.Sequence} does not continue above the old file's");
        Assert.Equal("""[{"ts":12,"values":{"level":1.7}}]""", Encoding.UTF8.GetString(next.Payload));
        queue.Acknowledge(next);
        Assert.Equal((0L, 12L, 12L), (queue.Stats(device).Depth, queue.Stats(device).Enqueued, queue.Stats(device).Acknowledged));
    }

    [Fact]
    public void Open_SqliteFileOfSomethingElse_ClearError()
    {
        using var folder = new TempFolder();
        var path = folder.File("other.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE photos(id INTEGER PRIMARY KEY)";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<EdgeConfigurationException>(() => DiskQueueFile.Open(path, 1 << 20));
        Assert.Contains("is unreadable: it is not an agent queue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NotAQueueFile_ClearError()
    {
        using var folder = new TempFolder();
        var path = folder.File("garbage.db");
        File.WriteAllText(path, new string('x', 5000));
        var error = Assert.Throws<EdgeConfigurationException>(() => DiskQueueFile.Open(path, 1 << 20));
        Assert.Contains("is unreadable: it is not an agent queue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UsedByAnotherAgent_ClearError()
    {
        using var folder = new TempFolder();
        using var first = DiskQueueFile.Open(folder.File("q.db"), 1 << 20);
        var error = Assert.Throws<EdgeConfigurationException>(() => DiskQueueFile.Open(folder.File("q.db"), 1 << 20));
        Assert.Contains("in use by another agent", error.Message, StringComparison.Ordinal);
    }
}
