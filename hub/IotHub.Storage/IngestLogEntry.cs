namespace IotHub.Storage;

/// <summary>
/// One record of the ingest log in memory: its framed bytes (header and payload, in a pooled
/// buffer), where it ends in the log, and the task its writer waits on until it is durable.
/// </summary>
internal sealed class IngestLogEntry(byte[] buffer, int length, int values)
{
    /// <summary>The framed record: <see cref="IngestLog.HeaderBytes"/> of header, then the payload. Pooled.</summary>
    public byte[] Buffer { get; } = buffer;

    /// <summary>Bytes of the framed record.</summary>
    public int Length { get; } = length;

    /// <summary>Values (points of one field) in the record.</summary>
    public int Values { get; } = values;

    /// <summary>
    /// Whether the record's writer is completed on the log's flusher thread instead of from the thread
    /// pool (<see cref="IngestLogAcks.CompleteOnLogThread"/>).
    /// </summary>
    public bool CompleteOnLogThread { get; init; }

    /// <summary>The log position just after this record.</summary>
    public long End { get; set; }

    /// <summary>
    /// Completed when the record is on disk (fsync'd); failed when the log could not write it.
    /// Its continuations run synchronously: the log completes a group's records from one
    /// thread-pool work item, so a writer's continuation does not hold up the flusher and a group
    /// costs one hand-off instead of one per writer; records marked <see cref="CompleteOnLogThread"/>
    /// are completed on the flusher thread itself, after the group's sync.
    /// </summary>
    public TaskCompletionSource Durable { get; } = new();

    /// <summary>The record's payload.</summary>
    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(IngestLog.HeaderBytes, Length - IngestLog.HeaderBytes);
}
