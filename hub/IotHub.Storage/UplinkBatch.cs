namespace IotHub.Storage;

/// <summary>
/// Identity of an uplink batch: the device and its batch sequence number, which grows by at
/// least one with every batch the device sends. The store remembers the highest committed
/// sequence per device, in the same transaction as the points, so a batch resent after a lost
/// ack is recognised and not written twice.
/// </summary>
/// <param name="Device">Device id.</param>
/// <param name="Sequence">Batch sequence number (1 or more).</param>
public readonly record struct UplinkBatch(string Device, ulong Sequence);
