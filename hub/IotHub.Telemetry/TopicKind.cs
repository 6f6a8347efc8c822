namespace IotHub.Telemetry;

/// <summary>What a topic of the device topic scheme carries.</summary>
public enum TopicKind
{
    /// <summary>Not a topic of the scheme.</summary>
    Unknown,

    /// <summary>Readings (line protocol, ThingsBoard JSON or SenML), device to hub.</summary>
    Telemetry,

    /// <summary>A camera still (JPEG or PNG), device to hub.</summary>
    Image,

    /// <summary>Retained desired configuration, hub to device.</summary>
    Config,

    /// <summary>Reported state or attributes, device to hub.</summary>
    State,

    /// <summary>A command for the device, hub to device.</summary>
    RpcRequest,

    /// <summary>The device's answer to a command, device to hub.</summary>
    RpcResponse,
}
