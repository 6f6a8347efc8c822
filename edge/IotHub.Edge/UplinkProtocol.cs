namespace IotHub.Edge;

/// <summary>How an agent sends its batches to the hub.</summary>
public enum UplinkProtocol
{
    /// <summary>MQTT 5, one session per device: batches (QoS 1, <c>batch-seq</c>), remote configuration and state. The default.</summary>
    Mqtt,

    /// <summary>
    /// gRPC streaming (<c>iothub.v1.TelemetryIngest/Write</c>), one stream per device on shared HTTP/2
    /// connections: batches only; the hub's gRPC contract carries no configuration or state.
    /// </summary>
    Grpc,
}
