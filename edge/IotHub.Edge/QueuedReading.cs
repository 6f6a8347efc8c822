namespace IotHub.Edge;

/// <summary>A reading on its way into the disk queue.</summary>
/// <param name="DeviceKey">The queue's key of the device (<see cref="DiskQueueFile.RegisterDevice"/>).</param>
/// <param name="TimestampMs">When it was taken, milliseconds since the epoch.</param>
/// <param name="IsAlarm">An alarm reading is never dropped when the queue is full.</param>
/// <param name="Payload">The reading in the queue's <see cref="DiskQueueFile.Format"/>: one line protocol line (<see cref="ReadingLineProtocol.SerializeOne"/>) or one JSON object (<see cref="ReadingJson.SerializeOne"/>).</param>
public readonly record struct QueuedReading(int DeviceKey, long TimestampMs, bool IsAlarm, byte[] Payload);
