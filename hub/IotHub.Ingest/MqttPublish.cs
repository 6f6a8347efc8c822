using System.Buffers;
using System.Buffers.Text;
using MQTTnet.Protocol;

namespace IotHub.Ingest;

/// <summary>A device's PUBLISH as ingest needs it, whichever MQTT engine read it.</summary>
/// <param name="Topic">The topic name.</param>
/// <param name="Payload">The payload (valid until the verdict is returned).</param>
/// <param name="ContentType">The MQTT 5 content type, if sent.</param>
/// <param name="BatchSequence">The <c>batch-seq</c> user property: its value, 0 when malformed, <c>null</c> when absent.</param>
/// <param name="Retain">The retain flag.</param>
internal readonly record struct MqttPublish(string Topic, ReadOnlySequence<byte> Payload, string? ContentType, ulong? BatchSequence, bool Retain)
{
    /// <summary>The value of a <c>batch-seq</c> user property, or 0 when it is not a whole number.</summary>
    public static ulong ParseBatchSequence(ReadOnlySpan<byte> text) =>
        Utf8Parser.TryParse(text, out ulong sequence, out var consumed) && consumed == text.Length ? sequence : 0;
}

/// <summary>The answer to a device's publish.</summary>
/// <param name="Code">The PUBACK reason code (MQTT 5; an MQTT 3.1.1 PUBACK carries none).</param>
/// <param name="ReasonString">The reason string of a refusal.</param>
/// <param name="Relay">Whether the message goes on to subscribers (admin sessions, retained messages).</param>
/// <param name="CloseConnection">Whether the connection is closed instead of acknowledged (the store failed).</param>
internal readonly record struct PublishVerdict(MqttPubAckReasonCode Code, string? ReasonString, bool Relay, bool CloseConnection)
{
    /// <summary>Accepted, and relayed to subscribers if there are any.</summary>
    public static PublishVerdict Stored => new(MqttPubAckReasonCode.Success, null, Relay: true, CloseConnection: false);

    /// <summary>Accepted and kept by the hub, relayed to nobody (stills, replayed batches).</summary>
    public static PublishVerdict Kept => new(MqttPubAckReasonCode.Success, null, Relay: false, CloseConnection: false);
}

/// <summary>Who a CONNECT authenticated as: the admin, a device, or (default) nobody.</summary>
/// <param name="IsAdmin">The hub's own services, with the admin token.</param>
/// <param name="Device">The device, when the credentials are a device's.</param>
internal readonly record struct MqttIdentity(bool IsAdmin, DeviceRecord? Device);
