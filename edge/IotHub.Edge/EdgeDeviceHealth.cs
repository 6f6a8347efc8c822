using System.Buffers;
using System.Text.Json;

namespace IotHub.Edge;

/// <summary>A device's health as its state topic reports it (JSON under <c>"health"</c>).</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Connected">Whether its MQTT session is up.</param>
/// <param name="Queue">Its part of the disk queue: depth, oldest unsent reading, counters.</param>
/// <param name="OldestUnsentAge">Age of its oldest unsent reading, or <c>null</c> when nothing waits.</param>
/// <param name="AgentQueueBytes">Bytes in the agent's whole disk queue.</param>
/// <param name="AgentQueueMaxBytes">The disk queue's bound.</param>
/// <param name="AgentDropped">Routine readings the agent dropped for a full queue, every device.</param>
/// <param name="Battery">Last battery voltage the device read (V), or <c>null</c>.</param>
/// <param name="RssiDbm">Radio signal strength (dBm), or <c>null</c>.</param>
/// <param name="ClockOffset">Device clock minus reference clock, or <c>null</c>.</param>
/// <param name="FastSampling">Whether a rule has it sampling at its fast interval.</param>
/// <param name="Signage">Smart pole: what its screen shows; otherwise <c>null</c>.</param>
public sealed record EdgeDeviceHealth(
    string DeviceId,
    bool Connected,
    DeviceQueueStats Queue,
    TimeSpan? OldestUnsentAge,
    long AgentQueueBytes,
    long AgentQueueMaxBytes,
    long AgentDropped,
    double? Battery,
    double? RssiDbm,
    TimeSpan? ClockOffset,
    bool FastSampling,
    string? Signage)
{
    /// <summary>Writes the <c>"health"</c> object of the state message.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("queueDepth", Queue.Depth);
        WriteOptional(writer, "oldestUnsentAgeSeconds", OldestUnsentAge?.TotalSeconds);
        writer.WriteNumber("dropped", Queue.Dropped);
        writer.WriteNumber("rejected", Queue.Rejected);
        writer.WriteNumber("enqueued", Queue.Enqueued);
        writer.WriteNumber("acknowledged", Queue.Acknowledged);
        writer.WriteNumber("agentQueueBytes", AgentQueueBytes);
        writer.WriteNumber("agentQueueMaxBytes", AgentQueueMaxBytes);
        writer.WriteNumber("agentDropped", AgentDropped);
        WriteOptional(writer, "battery", Battery);
        WriteOptional(writer, "rssiDbm", RssiDbm);
        WriteOptional(writer, "clockOffsetMs", ClockOffset?.TotalMilliseconds);
        writer.WriteString("sampling", FastSampling ? "fast" : "normal");
        if (Signage is not null)
        {
            writer.WriteString("signage", Signage);
        }

        writer.WriteEndObject();
    }

    /// <summary>The <c>"health"</c> object alone, as UTF-8 JSON.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, Math.Round(v, 3));
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
