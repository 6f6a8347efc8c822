using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Storage.Tests;

public sealed class IngestLogTests : IDisposable
{
    private static readonly long Base = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1));
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-log-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Open_AfterAppends_TailHasEveryRecordInOrderWithItsColumns()
    {
        AppendAndClose(_directory, 3);

        using var log = IngestLog.Open(_directory, 1 << 20, applied: 0, NullLogger.Instance, _ => { }, out var tail);

        Assert.Equal(3, tail.Count);
        for (var i = 0; i < 3; i++)
        {
            var (columns, batch, _) = IngestLogRecord.Read(tail[i].Payload);
            Assert.Equal(new UplinkBatch("dev-1", (ulong)i + 1), batch);
            var column = Assert.Single(columns);
            Assert.Equal(["level"], [column.Field]);
            Assert.Equal([Base + i, Base + i + 1], column.TimestampsNs);
            Assert.Equal([i, i + 0.5], column.Floats!);
        }

        Assert.Equal(log.Durable.Value, tail[^1].End);
    }

    [Fact]
    public void Open_TornTail_RecordsBeforeItKeptAndFileTruncated()
    {
        var ends = AppendAndClose(_directory, 2);
        var segment = Assert.Single(Directory.GetFiles(_directory));

        // A crash in the middle of a group write: half of a third record over the preallocated zeros.
        var whole = File.ReadAllBytes(segment);
        using (var handle = File.OpenHandle(segment, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(handle, whole.AsSpan(0, (int)(ends[1] - ends[0]) / 2), ends[1]);
        }

        using (var log = IngestLog.Open(_directory, 1 << 20, applied: 0, NullLogger.Instance, _ => { }, out var tail))
        {
            Assert.Equal(2, tail.Count);
            Assert.Equal(ends[1], log.Durable.Value);
        }

        Assert.Equal(ends[1], new FileInfo(segment).Length);
    }

    [Fact]
    public void Append_SegmentGrowsInZeroFilledSteps_OpenEndsAtTheZerosAndKeepsLaterSegments()
    {
        // 300-byte segments: two ~120-byte records each, files grown in 300-byte steps.
        var ends = AppendAndClose(_directory, 5, segmentBytes: 300);
        var segments = Directory.GetFiles(_directory).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, segments.Length);
        Assert.All(segments, path => Assert.Equal(300, new FileInfo(path).Length));

        using var log = IngestLog.Open(_directory, 300, applied: 0, NullLogger.Instance, _ => { }, out var tail);

        Assert.Equal(ends, tail.Select(entry => entry.End));
        Assert.Equal(ends[^1], log.Durable.Value);

        // The zeros after each segment's records are cut off; no segment is dropped.
        Assert.Equal(ends[1], new FileInfo(segments[0]).Length);
        Assert.Equal(ends[3] - ends[1], new FileInfo(segments[1]).Length);
        Assert.Equal(ends[4] - ends[3], new FileInfo(segments[2]).Length);
    }

    [Fact]
    public async Task Append_LargeGroup_ExtendsTheFileWithoutZeros()
    {
        var small = AppendAndClose(_directory, 1);
        var segment = Assert.Single(Directory.GetFiles(_directory));
        Assert.Equal(IngestLog.PreallocateBytes, new FileInfo(segment).Length);

        using var log = IngestLog.Open(_directory, 4 << 20, applied: small[0], NullLogger.Instance, _ => { }, out _);
        var timestamps = Enumerable.Range(0, 10_000).Select(i => Base + i).ToArray();
        var column = new SeriesColumns("river", [new("device", "dev-1")], "level", timestamps, new double[10_000], 10_000);
        var (buffer, length) = IngestLogRecord.Write([column], null, Base, IngestLog.HeaderBytes);
        Assert.True(length >= 64 << 10, $"record of {length} bytes");
        var entry = log.Append(buffer, length, 10_000);
        await entry.Durable.Task;

        var large = Directory.GetFiles(_directory).Single(path => path != segment);
        Assert.Equal(entry.End - small[0], new FileInfo(large).Length);
    }

    [Fact]
    public async Task Append_InCompleteOnLogThreadScope_WriterResumesOnTheFlusherAfterTheSync_OthersOnThePool()
    {
        // The flusher waits after its sync (in the durable callback) until both writers are awaiting.
        using var awaiting = new ManualResetEventSlim();
        using var log = IngestLog.Open(_directory, 1 << 20, applied: 0, NullLogger.Instance, _ => awaiting.Wait(TimeSpan.FromSeconds(10)), out _);
        var column = new SeriesColumns("river", [new("device", "dev-1")], "level", [Base], [1.5], 1);

        IngestLogEntry Append()
        {
            var (buffer, length) = IngestLogRecord.Write([column], null, Base, IngestLog.HeaderBytes);
            return log.Append(buffer, length, 1);
        }

        async Task<(string? Thread, bool OnLogThread, long Durable)> ResumeAsync(IngestLogEntry entry)
        {
            // No test framework context: the continuation runs where the log completes the task.
            await entry.Durable.Task.ConfigureAwait(false);
            return (Thread.CurrentThread.Name, IngestLogAcks.OnLogThread, log.Durable.Value);
        }

        IngestLogEntry inline;
        using (IngestLogAcks.CompleteOnLogThread())
        {
            inline = Append();
        }

        var pooled = Append();
        var inlineResumed = ResumeAsync(inline);
        var pooledResumed = ResumeAsync(pooled);
        awaiting.Set();

        Assert.True(inline.CompleteOnLogThread);
        Assert.False(pooled.CompleteOnLogThread);
        Assert.False(IngestLogAcks.OnLogThread);
        var (thread, onLogThread, durable) = await inlineResumed;
        Assert.Equal("ingest-log", thread);
        Assert.True(onLogThread);
        Assert.True(durable >= inline.End, "resumed before its record was durable");
        var (_, pooledOnLogThread, pooledDurable) = await pooledResumed;
        Assert.False(pooledOnLogThread);
        Assert.True(pooledDurable >= pooled.End);
    }

    [Fact]
    public async Task DeleteApplied_IdleLogAllApplied_NewSegmentStartsAndAppliedOneIsDeleted()
    {
        // Arrange: one record of over a megabyte, durable, then reported applied.
        var log = IngestLog.Open(_directory, 64 << 20, applied: 0, NullLogger.Instance, _ => { }, out _);
        var timestamps = Enumerable.Range(0, 150_000).Select(i => Base + i).ToArray();
        var column = new SeriesColumns("river", [new("device", "dev-1")], "level", timestamps, new double[150_000], 150_000);
        var (buffer, length) = IngestLogRecord.Write([column], null, Base, IngestLog.HeaderBytes);
        var first = log.Append(buffer, length, 150_000);
        await first.Durable.Task;
        var applied = Assert.Single(Directory.GetFiles(_directory));
        Assert.True(first.End >= 1 << 20, $"record of {first.End} bytes");

        // Act
        log.DeleteApplied(first.End);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.Exists(applied) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var small = new SeriesColumns("river", [new("device", "dev-1")], "level", [Base], [1.5], 1);
        var (smallBuffer, smallLength) = IngestLogRecord.Write([small], new UplinkBatch("dev-1", 9), Base, IngestLog.HeaderBytes);
        var second = log.Append(smallBuffer, smallLength, 1);
        await second.Durable.Task;
        log.Dispose();

        // Assert: only the new segment is left, starting where the applied records ended, and it replays the later record.
        Assert.False(File.Exists(applied));
        var left = Assert.Single(Directory.GetFiles(_directory));
        Assert.Equal(first.End.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + ".log", Path.GetFileName(left));
        using var reopened = IngestLog.Open(_directory, 64 << 20, applied: first.End, NullLogger.Instance, _ => { }, out var tail);
        Assert.Equal(second.End, Assert.Single(tail).End);
        Assert.Equal(new UplinkBatch("dev-1", 9), IngestLogRecord.Read(tail[0].Payload).Batch);
    }

    [Fact]
    public void Open_CorruptRecord_LogEndsBeforeItAndLaterSegmentsDeleted()
    {
        // Tiny segments: one record each.
        var ends = AppendAndClose(_directory, 3, segmentBytes: 64);
        var segments = Directory.GetFiles(_directory).Order(StringComparer.Ordinal).ToArray();
        Assert.True(segments.Length >= 3);

        // One flipped bit in the second record's payload (the segment's only record; zeros after it).
        var bytes = File.ReadAllBytes(segments[1]);
        bytes[(int)(ends[1] - ends[0]) - 3] ^= 0x10;
        File.WriteAllBytes(segments[1], bytes);

        using var log = IngestLog.Open(_directory, 64, applied: 0, NullLogger.Instance, _ => { }, out var tail);

        Assert.Equal(ends[0], Assert.Single(tail).End);
        Assert.False(File.Exists(segments[2]));
        Assert.Equal(0, new FileInfo(segments[1]).Length);
    }

    [Fact]
    public void Open_AppliedPosition_OnlyLaterRecordsAndAppliedSegmentsDeleted()
    {
        var ends = AppendAndClose(_directory, 3, segmentBytes: 64);
        var first = Directory.GetFiles(_directory).Order(StringComparer.Ordinal).First();

        using var log = IngestLog.Open(_directory, 64, applied: ends[1], NullLogger.Instance, _ => { }, out var tail);

        Assert.Equal(ends[2], Assert.Single(tail).End);
        Assert.False(File.Exists(first));
    }

    [Fact]
    public async Task Store_CopyTakenWhileApplierStalled_AcknowledgedWritesReplayedOnceOnOpen()
    {
        var live = Path.Combine(_directory, "live");
        var copy = Path.Combine(_directory, "copy");
        await using (var store = await OpenStoreAsync(live))
        {
            await store.WriteAsync([Level("dev-1", 0, 1)], new UplinkBatch("dev-1", 1), CancellationToken.None);
            using var stall = new ManualResetEventSlim();
            var stalled = store.RunOnCommitLoopAsync(() => { stall.Wait(); return 0; }, CancellationToken.None);

            // Acknowledged by the log while the database takes nothing.
            await store.WriteAsync([Level("dev-1", 1, 2), Level("dev-1", 2, 3)], new UplinkBatch("dev-1", 2), CancellationToken.None);
            await store.WriteAsync([Level("dev-2", 1, 7)], CancellationToken.None);

            // The crash image: the database and the log as they are on disk now.
            CopyDirectory(live, copy);
            stall.Set();
            await stalled;
        }

        for (var open = 0; open < 2; open++)
        {
            await using var reopened = await OpenStoreAsync(copy);
            Assert.Equal(4, await reopened.CountRowsAsync(CancellationToken.None));
            Assert.Equal(3.0, Assert.Single(reopened.GetLatestForDevice("dev-1")).Value.AsFloat);
            Assert.Equal(2ul, reopened.LastBatchSequence("dev-1"));
            Assert.Equal(WriteOutcome.Duplicate, await reopened.WriteAsync([Level("dev-1", 1, 99)], new UplinkBatch("dev-1", 2), CancellationToken.None));
        }
    }

    [Fact]
    public async Task Store_BacklogOverLimit_WriterWaitsUntilCancelledThenProceedsOnceApplied()
    {
        await using var store = await OpenStoreAsync(_directory, backlogMegabytes: 1);
        using var stall = new ManualResetEventSlim();
        var stalled = store.RunOnCommitLoopAsync(() => { stall.Wait(); return 0; }, CancellationToken.None);

        // ~400 KB a write (9 bytes a value: 1-byte timestamp delta, 8-byte float): the third is over 1 MB of backlog.
        const int Values = 45_000;
        var written = 0;
        using var wait = new CancellationTokenSource();
        var refused = false;
        for (var i = 0; i < 10 && !refused; i++)
        {
            wait.CancelAfter(TimeSpan.FromMilliseconds(300));
            try
            {
                await store.WriteColumnsAsync([Column("dev-1", i * Values, Values)], wait.Token);
                written++;
                wait.TryReset();
            }
            catch (OperationCanceledException)
            {
                refused = true;
            }
        }

        Assert.True(refused);
        Assert.InRange(written, 2, 3);
        Assert.True(store.IngestLogBacklogBytes > 1 << 20);

        stall.Set();
        await stalled;
        await store.WriteColumnsAsync([Column("dev-1", written * Values, Values)], CancellationToken.None);
        Assert.Equal((written + 1) * Values, await store.CountRowsAsync(CancellationToken.None));
        Assert.Equal(0, store.IngestLogBacklogBytes);
    }

    [Fact]
    public async Task Store_TypeConflictWithLoggedNotAppliedSeries_RefusedBeforeTheAck()
    {
        await using var store = await OpenStoreAsync(_directory);
        using var stall = new ManualResetEventSlim();
        var stalled = store.RunOnCommitLoopAsync(() => { stall.Wait(); return 0; }, CancellationToken.None);
        await store.WriteAsync([Level("dev-1", 0, 1)], CancellationToken.None);

        // The series is only in the log, not in the database yet: still a conflict, and nothing kept.
        var error = await Assert.ThrowsAsync<WriteRefusedException>(() => store.WriteAsync(
            [Level("dev-1", 1, 2), new Point("river", [new("device", "dev-1")], [new("level", FieldValue.FromInteger(3))], Base + 2)],
            CancellationToken.None));

        Assert.Equal(WriteRefusal.FieldTypeConflict, error.Refusal);
        stall.Set();
        await stalled;
        Assert.Equal(1, await store.CountRowsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Store_SeriesLimitCountsLoggedSeries_RefusedBeforeTheAck()
    {
        await using var store = await OpenStoreAsync(_directory, maxSeriesPerDevice: 2);
        await store.WriteAsync([Level("dev-1", 0, 1)], CancellationToken.None);
        await store.WriteAsync([new Point("river", [new("device", "dev-1")], [new("flow", FieldValue.FromFloat(1))], Base)], CancellationToken.None);

        var error = await Assert.ThrowsAsync<WriteRefusedException>(() => store.WriteAsync(
            [new Point("river", [new("device", "dev-1")], [new("temperature", FieldValue.FromFloat(1))], Base)], CancellationToken.None));

        Assert.Equal(WriteRefusal.TooManySeries, error.Refusal);
        Assert.Equal(2, store.Series.Count);
    }

    private static long[] AppendAndClose(string directory, int records, long segmentBytes = 1 << 20)
    {
        var ends = new long[records];
        using var log = IngestLog.Open(directory, segmentBytes, applied: 0, NullLogger.Instance, _ => { }, out _);
        for (var i = 0; i < records; i++)
        {
            var column = new SeriesColumns("river", [new("device", "dev-1")], "level", [Base + i, Base + i + 1], [i, i + 0.5], 2);
            var (buffer, length) = IngestLogRecord.Write([column], new UplinkBatch("dev-1", (ulong)i + 1), Base, IngestLog.HeaderBytes);
            var entry = log.Append(buffer, length, 2);
            entry.Durable.Task.GetAwaiter().GetResult();
            ends[i] = entry.End;
        }

        return ends;
    }

    private static Task<DuckDbStore> OpenStoreAsync(string directory, int backlogMegabytes = 64, int maxSeriesPerDevice = 1000) =>
        DuckDbStore.OpenAsync(
            new StorageOptions { DataDirectory = directory, IngestLogMaxBacklogMegabytes = backlogMegabytes, MaxSeriesPerDevice = maxSeriesPerDevice },
            NullLogger.Instance,
            CancellationToken.None);

    private static Point Level(string device, long offsetNs, double value) =>
        new("river", [new("device", device)], [new("level", FieldValue.FromFloat(value))], Base + offsetNs);

    private static SeriesColumns Column(string device, long firstOffsetNs, int count)
    {
        var ts = new long[count];
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            ts[i] = Base + firstOffsetNs + i;
            values[i] = i;
        }

        return new SeriesColumns("river", [new("device", device)], "level", ts, values, count);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
