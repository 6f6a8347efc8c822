namespace IotHub.Edge;

/// <summary>What an agent's device has done so far.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Connected">Whether its MQTT session is up.</param>
/// <param name="Sent">Readings the hub acknowledged.</param>
/// <param name="Buffered">Readings waiting to be sent.</param>
/// <param name="Dropped">Readings dropped because the buffer was full.</param>
/// <param name="Rejected">Readings the hub refused (with a reason code).</param>
public sealed record EdgeDeviceStatus(string DeviceId, bool Connected, long Sent, int Buffered, long Dropped, long Rejected);
