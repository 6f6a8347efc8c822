namespace IotHub.Edge;

/// <summary>One device's part of the disk queue; counters persist across restarts.</summary>
/// <param name="Depth">Readings waiting for the hub's acknowledgement.</param>
/// <param name="OldestUnsentMs">Time of the oldest waiting reading (ms since the epoch), or <c>null</c> when none waits.</param>
/// <param name="Enqueued">Readings ever queued.</param>
/// <param name="Acknowledged">Readings the hub acknowledged (stored or already stored).</param>
/// <param name="Dropped">Routine readings dropped because the queue was full.</param>
/// <param name="Rejected">Readings the hub refused with a reason code (not retried).</param>
public sealed record DeviceQueueStats(long Depth, long? OldestUnsentMs, long Enqueued, long Acknowledged, long Dropped, long Rejected);
