using IotHub.Telemetry;

namespace IotHub.City;

/// <summary>
/// The health an edge agent reports for each of its devices, whatever the kind: in the retained
/// state message (<c>iothub/v1/{id}/state</c>) under <c>"health"</c>, one JSON member per field,
/// <c>null</c> where the device cannot tell. Defined once here, as the kinds' fields are in
/// <see cref="DeviceKinds"/>.
/// </summary>
public static class DeviceHealthFields
{
    /// <summary>Readings waiting in the agent's disk queue for the hub's acknowledgement.</summary>
    public static FieldSpec QueueDepth { get; } = new("queue_depth", FieldKind.Integer, "1", "Readings of the device waiting in the agent's disk queue");

    /// <summary>Age of the oldest waiting reading.</summary>
    public static FieldSpec OldestUnsentAge { get; } = new("oldest_unsent_age", FieldKind.Float, "s", "Age of the device's oldest unsent reading; null when none waits");

    /// <summary>Routine readings dropped because the disk queue was full.</summary>
    public static FieldSpec Dropped { get; } = new("dropped", FieldKind.Integer, "1", "Routine readings of the device dropped because the disk queue was full (alarms are never dropped)");

    /// <summary>Readings the hub refused (not retried).</summary>
    public static FieldSpec Rejected { get; } = new("rejected", FieldKind.Integer, "1", "Readings of the device the hub refused with a reason (not sent again)");

    /// <summary>Readings ever queued.</summary>
    public static FieldSpec Enqueued { get; } = new("enqueued", FieldKind.Integer, "1", "Readings of the device ever queued");

    /// <summary>Readings the hub acknowledged.</summary>
    public static FieldSpec Acknowledged { get; } = new("acknowledged", FieldKind.Integer, "1", "Readings of the device the hub acknowledged as stored");

    /// <summary>Bytes in the agent's whole disk queue.</summary>
    public static FieldSpec AgentQueueBytes { get; } = new("agent_queue_bytes", FieldKind.Integer, "By", "Reading bytes in the agent's disk queue, every device");

    /// <summary>The disk queue's bound.</summary>
    public static FieldSpec AgentQueueMaxBytes { get; } = new("agent_queue_max_bytes", FieldKind.Integer, "By", "The agent's disk queue bound; past it the oldest routine readings are dropped");

    /// <summary>Routine readings the agent dropped, every device.</summary>
    public static FieldSpec AgentDropped { get; } = new("agent_dropped", FieldKind.Integer, "1", "Routine readings the agent dropped for a full queue, every device");

    /// <summary>Battery voltage.</summary>
    public static FieldSpec Battery { get; } = new("battery", FieldKind.Float, "V", "Last battery voltage the device read; null without a battery");

    /// <summary>Radio signal strength.</summary>
    public static FieldSpec Rssi { get; } = new("rssi", FieldKind.Float, "dBm", "Received signal strength of the device's radio link; null when unknown");

    /// <summary>Device clock minus reference clock.</summary>
    public static FieldSpec ClockOffset { get; } = new("clock_offset", FieldKind.Float, "ms", "Device clock minus the reference clock; null when not measured");

    /// <summary>Sampling mode.</summary>
    public static FieldSpec Sampling { get; } = new("sampling", FieldKind.String, "", "normal, or fast while a rule asks for more (above standby, rising fast, surcharged)");

    /// <summary>Every health field, in the order the state message writes them.</summary>
    public static IReadOnlyList<FieldSpec> All { get; } =
        [QueueDepth, OldestUnsentAge, Dropped, Rejected, Enqueued, Acknowledged, AgentQueueBytes, AgentQueueMaxBytes, AgentDropped, Battery, Rssi, ClockOffset, Sampling];
}
