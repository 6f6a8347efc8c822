using System.Text;

namespace IotHub.Edge.Tests;

public sealed class DiskQueueFileTests
{
    private static QueuedReading Reading(int device, long ts, bool alarm = false) =>
        new(device, ts, alarm, Encoding.UTF8.GetBytes($"{{\"ts\":{ts},\"values\":{{\"volume\":1}}}}"));

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
            Assert.StartsWith("[{\"ts\":1,", Encoding.UTF8.GetString(resend.Payload), StringComparison.Ordinal);

            queue.Acknowledge(resend);
            var second = queue.NextBatch(device, maxReadings: 100, maxBytes: 1 << 16)!;
            Assert.Equal(first.Sequence + 1, second.Sequence);
            Assert.Equal(7, second.Count);
            Assert.StartsWith("[{\"ts\":5,", Encoding.UTF8.GetString(second.Payload), StringComparison.Ordinal);
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
            Assert.Equal(first + 1, queue.NextBatch(device, 10, 1 << 16)!.Sequence);
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
