using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace IotHub.Storage;

/// <summary>
/// The durable ingest log in front of the store: an append-only log of acknowledged writes in
/// segment files (<c>{start position, 16 hex digits}.log</c>). A record is framed as
/// <c>u32 payload length, u32 CRC-32C of length and payload, payload</c>; a position is a byte
/// offset over all segments. Writers append under the caller's order; one flusher thread writes
/// every record waiting and makes them durable with one <c>fdatasync</c> (group commit), then
/// hands the completion of their tasks to one thread-pool work item (or completes them itself, for
/// writers that asked to be, see <see cref="IngestLogAcks"/>). A segment file grows in
/// zero-filled steps of <see cref="PreallocateBytes"/>: the small group write that extends it also
/// writes the zeros after its records, so the groups after it overwrite blocks already allocated and
/// their <c>fdatasync</c> writes data only, not the inode (a file that grows with every group costs
/// an inode update per sync). Groups of 64 KiB or more extend the file without zeros. On open the records after the applied position are read back; they
/// end at a zero length (the preallocated tail, dropped quietly) or at a torn or corrupt record,
/// which ends the log there (the file is truncated and later segments deleted): after a crash
/// only records whose writers were not yet acknowledged are ever dropped.
/// </summary>
internal sealed partial class IngestLog : IDisposable
{
    /// <summary>Bytes of a record's frame header.</summary>
    public const int HeaderBytes = 8;

    /// <summary>The step in which a segment file grows, zero-filled (smaller for smaller segments).</summary>
    public const int PreallocateBytes = 1 << 20;

    // A group of at least this many bytes extends its file without zeros after it.
    private const int LargeGroupBytes = 64 << 10;

    private const string Extension = ".log";

    // An idle log whose records are all applied starts a new segment once its segment holds this much, so the applied one is deleted.
    private const long IdleRollBytes = 1 << 20;

    // Written after a group's records when the group extends its segment's file.
    private static readonly byte[] Zeros = new byte[PreallocateBytes];

    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly ILogger _logger;
    private readonly Action<List<IngestLogEntry>> _onDurable;
    private readonly object _gate = new();
    private readonly Thread _flusher;

    // Guarded by _gate: records appended and not yet handed to the flusher.
    private List<IngestLogEntry> _pending = [];
    private long _assigned;
    private bool _closing;
    private long _rollApplied = -1;

    // Flusher thread only.
    private SafeFileHandle _segment = null!;
    private long _segmentStart;
    private long _segmentLength;

    // Bytes of the segment file: its records, then zeros.
    private long _segmentAllocated;
    private readonly List<(long Start, string Path)> _closedSegments = [];
    private long _groups;

    private volatile StorageException? _failure;

    private IngestLog(string directory, long segmentBytes, long position, ILogger logger, Action<List<IngestLogEntry>> onDurable)
    {
        _directory = directory;
        _segmentBytes = segmentBytes;
        _logger = logger;
        _onDurable = onDurable;
        _assigned = position;
        Durable = new PositionSignal(position);
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "ingest-log" };
    }

    /// <summary>The position up to which every record is on disk.</summary>
    public PositionSignal Durable { get; }

    /// <summary>The position after the last record appended (durable or not).</summary>
    public long Assigned
    {
        get
        {
            lock (_gate)
            {
                return _assigned;
            }
        }
    }

    /// <summary>Group writes (one fsync each) since open.</summary>
    public long Groups => Interlocked.Read(ref _groups);

    /// <summary>Set when a write or fsync failed: the log takes no more records until the hub restarts.</summary>
    public StorageException? Failure => _failure;

    /// <summary>
    /// Opens the log in <paramref name="directory"/>: reads back the records after
    /// <paramref name="applied"/> (returned in order, their tasks completed), deletes segments
    /// wholly before it, truncates a torn tail, and starts a new segment for appends.
    /// <paramref name="onDurable"/> gets every group of records once durable, before their writers do.
    /// </summary>
    public static IngestLog Open(string directory, long segmentBytes, long applied, ILogger logger, Action<List<IngestLogEntry>> onDurable, out List<IngestLogEntry> tail)
    {
        Directory.CreateDirectory(directory);
        tail = [];
        var segments = ListSegments(directory);
        var end = applied;
        for (var s = 0; s < segments.Count; s++)
        {
            var (start, path) = segments[s];
            if (s + 1 < segments.Count && segments[s + 1].Start <= applied)
            {
                File.Delete(path);
                continue;
            }

            var bytes = File.ReadAllBytes(path);
            var offset = ReadRecords(bytes, start, applied, tail);
            end = Math.Max(end, start + offset);
            if (offset == bytes.Length)
            {
                continue;
            }

            if (!bytes.AsSpan(offset).ContainsAnyExcept((byte)0))
            {
                // The preallocated tail after the segment's last record: nothing was cut off.
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
                RandomAccess.SetLength(handle, offset);
                continue;
            }

            // A torn or corrupt record: the log ends here.
            LogTruncated(logger, path, offset, bytes.Length - offset, segments.Count - s - 1);
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.SetLength(handle, offset);
                RandomAccess.FlushToDisk(handle);
            }

            for (var later = s + 1; later < segments.Count; later++)
            {
                File.Delete(segments[later].Path);
            }

            break;
        }

        var log = new IngestLog(directory, segmentBytes, end, logger, onDurable);
        foreach (var (start, path) in ListSegments(directory))
        {
            // A file starting at the end holds no valid record: the new segment replaces it.
            if (start < end)
            {
                log._closedSegments.Add((start, path));
            }
        }

        log.StartSegment(end);
        log._flusher.Start();
        return log;
    }

    /// <summary>
    /// Frames a record whose payload is in <paramref name="buffer"/> after <see cref="HeaderBytes"/>
    /// free bytes, and queues it for the next group write. The caller orders appends.
    /// </summary>
    /// <exception cref="StorageException">The log failed or is closing.</exception>
    public IngestLogEntry Append(byte[] buffer, int payloadLength, int values)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), Checksum(buffer.AsSpan(HeaderBytes, payloadLength), payloadLength));
        var entry = new IngestLogEntry(buffer, HeaderBytes + payloadLength, values) { CompleteOnLogThread = IngestLogAcks.CompleteOnLogThreadRequested };
        lock (_gate)
        {
            if (_failure is { } failure)
            {
                throw failure;
            }

            if (_closing)
            {
                throw new StorageException("The store is closing; the request was not accepted.");
            }

            _assigned += entry.Length;
            entry.End = _assigned;
            _pending.Add(entry);
            if (_pending.Count == 1)
            {
                Monitor.Pulse(_gate);
            }
        }

        return entry;
    }

    /// <summary>
    /// Deletes the segments whose records all end at or before <paramref name="applied"/>. When every record appended is
    /// applied and the active segment holds at least <see cref="IdleRollBytes"/>, the flusher also starts a new segment (if no
    /// record comes first), so the applied records do not stay on disk while the log is idle.
    /// </summary>
    public void DeleteApplied(long applied)
    {
        lock (_gate)
        {
            if (applied >= _assigned && _pending.Count == 0 && applied - Volatile.Read(ref _segmentStart) >= IdleRollBytes)
            {
                _rollApplied = applied;
                Monitor.Pulse(_gate);
            }
        }

        List<string>? doomed = null;
        lock (_closedSegments)
        {
            // A closed segment ends where the next one starts.
            while (_closedSegments.Count > 0 && NextStart(0) <= applied)
            {
                (doomed ??= []).Add(_closedSegments[0].Path);
                _closedSegments.RemoveAt(0);
            }
        }

        foreach (var path in doomed ?? [])
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes what is queued, stops the flusher and closes the segment.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closing = true;
            Monitor.PulseAll(_gate);
        }

        _flusher.Join();
        _segment.Dispose();
    }

    /// <summary>CRC-32C of a record's length and payload (hardware CRC where the CPU has it).</summary>
    internal static uint Checksum(ReadOnlySpan<byte> payload, int length)
    {
        var crc = BitOperations.Crc32C(0xFFFFFFFFu, (uint)length);
        var i = 0;
        for (; i + 8 <= payload.Length; i += 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(payload[i..]));
        }

        for (; i < payload.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, payload[i]);
        }

        return ~crc;
    }

    /// <summary>
    /// Reads the valid records of one segment; those ending after <paramref name="applied"/> are
    /// added to <paramref name="tail"/>. Returns the offset where valid records end.
    /// </summary>
    private static int ReadRecords(byte[] bytes, long start, long applied, List<IngestLogEntry> tail)
    {
        var offset = 0;
        while (bytes.Length - offset >= HeaderBytes)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset));
            if (length <= 0 || length > bytes.Length - offset - HeaderBytes)
            {
                break;
            }

            var payload = bytes.AsSpan(offset + HeaderBytes, length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4)) != Checksum(payload, length))
            {
                break;
            }

            var end = start + offset + HeaderBytes + length;
            if (end > applied)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(HeaderBytes + length);
                bytes.AsSpan(offset, HeaderBytes + length).CopyTo(buffer);
                var entry = new IngestLogEntry(buffer, HeaderBytes + length, IngestLogRecord.ValueCount(payload)) { End = end };
                entry.Durable.SetResult();
                tail.Add(entry);
            }

            offset += HeaderBytes + length;
        }

        return offset;
    }

    private static List<(long Start, string Path)> ListSegments(string directory)
    {
        var segments = new List<(long Start, string Path)>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start))
            {
                segments.Add((start, path));
            }
        }

        segments.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        return segments;
    }

    private long NextStart(int index) =>
        index + 1 < _closedSegments.Count ? _closedSegments[index + 1].Start : Volatile.Read(ref _segmentStart);

    private void StartSegment(long start)
    {
        _segment = File.OpenHandle(SegmentPath(start), FileMode.Create, FileAccess.ReadWrite);

        // The new segment's name must be on disk before any record in it is acknowledged.
        DirectorySync.Flush(_directory);
        Volatile.Write(ref _segmentStart, start);
        _segmentLength = 0;
        _segmentAllocated = 0;
    }

    private string SegmentPath(long start) => Path.Combine(_directory, start.ToString("x16", CultureInfo.InvariantCulture) + Extension);

    /// <summary>Flusher thread: closes the active segment and starts the next where its records end.</summary>
    private void RollSegment()
    {
        var closed = Volatile.Read(ref _segmentStart);
        _segment.Dispose();
        lock (_closedSegments)
        {
            // Under the lock with the new start: a closed segment's end is the next one's start.
            StartSegment(closed + _segmentLength);
            _closedSegments.Add((closed, SegmentPath(closed)));
        }
    }

    /// <summary>
    /// Flusher thread, nothing queued: every record written is applied (<paramref name="applied"/>), so a new segment starts
    /// and the one holding them is deleted. A failure here fails the log as a failed write would.
    /// </summary>
    private void RollIdle(long applied)
    {
        if (_failure is not null || _segmentLength == 0 || Volatile.Read(ref _segmentStart) + _segmentLength > applied)
        {
            return;
        }

        try
        {
            RollSegment();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRollFailed(_logger, ex);
            Fail("The ingest log could not start a new segment: " + ex.Message, ex);
            return;
        }

        DeleteApplied(applied);
    }

    private void FlushLoop()
    {
        IngestLogAcks.MarkLogThread();
        var group = new List<IngestLogEntry>();
        var memory = new List<ReadOnlyMemory<byte>>();
        while (true)
        {
            long rollApplied = -1;
            lock (_gate)
            {
                while (_pending.Count == 0 && !_closing && _rollApplied < 0)
                {
                    Monitor.Wait(_gate);
                }

                if (_pending.Count == 0 && _closing)
                {
                    return;
                }

                if (_pending.Count == 0)
                {
                    rollApplied = _rollApplied;
                }
                else
                {
                    (group, _pending) = (_pending, group);
                }

                _rollApplied = -1;
            }

            if (rollApplied >= 0)
            {
                // Records appended meanwhile wait in the queue and go to the new segment.
                RollIdle(rollApplied);
                continue;
            }

            WriteGroup(group, memory);
            group.Clear();
            memory.Clear();
        }
    }

    private void WriteGroup(List<IngestLogEntry> group, List<ReadOnlyMemory<byte>> memory)
    {
        if (_failure is { } failed)
        {
            CompleteOnThreadPool(group.ToList(), failed);
            return;
        }

        long bytes = 0;
        foreach (var entry in group)
        {
            memory.Add(entry.Buffer.AsMemory(0, entry.Length));
            bytes += entry.Length;
        }

        try
        {
            if (_segmentLength > 0 && _segmentLength + bytes > _segmentBytes)
            {
                RollSegment();
            }

            var end = _segmentLength + bytes;
            if (end > _segmentAllocated)
            {
                // Small groups grow the file by whole zero-filled steps in the same write (one inode
                // update now, none for the groups that fill the step). A large group just extends it:
                // its inode update is small beside its data, and zeros written ahead of it would
                // double the bytes it sends to the disk.
                var step = (long)Math.Min(PreallocateBytes, _segmentBytes);
                var allocated = bytes >= LargeGroupBytes ? end : (end + step - 1) / step * step;
                if (allocated > end)
                {
                    memory.Add(Zeros.AsMemory(0, (int)(allocated - end)));
                }

                _segmentAllocated = allocated;
            }

            RandomAccess.Write(_segment, memory, _segmentLength);
            SyncData(_segment);
            _segmentLength = end;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // What the failed write left in the file is a torn tail: the next open truncates it.
            LogWriteFailed(_logger, group.Count, bytes, ex);
            var failure = Fail("The ingest log could not write to disk: " + ex.Message, ex);
            CompleteOnThreadPool(group.ToList(), failure);
            return;
        }

        Interlocked.Increment(ref _groups);

        // The applier gets the records before their writers are acknowledged, so a query made
        // after an ack waits for them (the read barrier is the durable position).
        var durable = group.ToList();
        _onDurable(durable);
        Durable.Advance(group[^1].End);
        CompleteDurable(durable);
    }

    /// <summary>
    /// Flusher thread, after the group's sync: queues the completion of the records whose writers run on the thread pool, then
    /// completes those that asked for the flusher thread (<see cref="IngestLogAcks"/>) here, in log order.
    /// </summary>
    private static void CompleteDurable(List<IngestLogEntry> durable)
    {
        var here = 0;
        foreach (var entry in durable)
        {
            if (entry.CompleteOnLogThread)
            {
                here++;
            }
        }

        if (here == 0)
        {
            CompleteOnThreadPool(durable, null);
            return;
        }

        if (here < durable.Count)
        {
            CompleteOnThreadPool(durable.FindAll(static entry => !entry.CompleteOnLogThread), null);
        }

        foreach (var entry in durable)
        {
            if (entry.CompleteOnLogThread)
            {
                entry.Durable.TrySetResult();
            }
        }
    }

    /// <summary>Flusher thread: the log takes no more records; waiters on the durable position are woken to see the failure.</summary>
    private StorageException Fail(string message, Exception ex)
    {
        var failure = new StorageException(message, ex);
        _failure = failure;
        Durable.Pulse();
        return failure;
    }

    /// <summary>
    /// Completes the records' tasks (succeeded when <paramref name="failure"/> is null) from one thread-pool work item, never on
    /// the flusher thread: their writers' continuations run there, one after another.
    /// </summary>
    private static void CompleteOnThreadPool(List<IngestLogEntry> entries, StorageException? failure) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => Complete(state.Entries, state.Failure), (Entries: entries, Failure: failure), preferLocal: false);

    private static void Complete(List<IngestLogEntry> entries, StorageException? failure)
    {
        foreach (var entry in entries)
        {
            if (failure is null)
            {
                entry.Durable.TrySetResult();
            }
            else
            {
                entry.Durable.TrySetException(failure);
            }
        }
    }

    /// <summary>
    /// Makes the file's written data durable: <c>fdatasync</c> on Linux (it skips the inode when only
    /// its times changed, as in an overwrite of preallocated blocks; a size change it writes), an
    /// fsync elsewhere.
    /// </summary>
    private static void SyncData(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (FdataSync((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync of the ingest log failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdataSync(int descriptor);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Ingest log {Path} ends in a torn or corrupt record at offset {Offset}: {Bytes} bytes dropped (never acknowledged), {LaterSegments} later segments deleted")]
    private static partial void LogTruncated(ILogger logger, string path, int offset, int bytes, int laterSegments);

    [LoggerMessage(EventId = 111, Level = LogLevel.Critical, Message = "Ingest log write of {Records} records ({Bytes} bytes) failed; the log takes no more writes until the hub restarts")]
    private static partial void LogWriteFailed(ILogger logger, int records, long bytes, Exception exception);

    [LoggerMessage(EventId = 117, Level = LogLevel.Critical, Message = "Ingest log could not start a new segment after its records were applied; the log takes no more writes until the hub restarts")]
    private static partial void LogRollFailed(ILogger logger, Exception exception);
}
