namespace IotHub.Edge;

/// <summary>
/// A device's uplink batch: its sequence number and the readings it holds, in the queue's
/// <see cref="DiskQueueFile.Format"/> (line protocol lines, or a JSON array).
/// Once formed, a batch keeps its sequence and its readings (less any the full-queue policy
/// dropped) across resends and agent restarts, so the hub can drop a resend it already committed.
/// </summary>
/// <param name="DeviceKey">The queue's key of the device.</param>
/// <param name="Sequence">The batch sequence (MQTT 5 user property <c>batch-seq</c>), 1 or more, growing per device.</param>
/// <param name="LastId">The queue id of its last reading: the batch is every reading of the device up to it.</param>
/// <param name="Count">Readings in the batch.</param>
/// <param name="Payload">The readings: UTF-8 line protocol, one line each, or a JSON array of <c>{"ts","values"}</c> objects.</param>
public sealed record OutgoingBatch(int DeviceKey, ulong Sequence, long LastId, int Count, byte[] Payload);
