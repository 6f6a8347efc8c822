namespace IotHub.Edge;

/// <summary>One device an agent hosts: its identity and its sensors.</summary>
/// <param name="DeviceId">Device id registered at the hub.</param>
/// <param name="Token">The device's secret token.</param>
/// <param name="Sensor">Its sensors.</param>
public sealed record EdgeDeviceOptions(string DeviceId, string Token, ISensor Sensor);
