using System.Buffers;
using System.Text.Json;
using IotHub.City;

namespace IotHub.Edge;

/// <summary>A device's health as its state topic reports it (JSON under <c>"health"</c>, named as <see cref="DeviceHealthFields"/> defines).</summary>
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
    /// <summary>Writes the <c>"health"</c> object of the state message: the fields of <see cref="DeviceHealthFields"/>, and a pole's signage.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber(DeviceHealthFields.QueueDepth.Name, Queue.Depth);
        WriteOptional(writer, DeviceHealthFields.OldestUnsentAge.Name, OldestUnsentAge?.TotalSeconds);
        writer.WriteNumber(DeviceHealthFields.Dropped.Name, Queue.Dropped);
        writer.WriteNumber(DeviceHealthFields.Rejected.Name, Queue.Rejected);
        writer.WriteNumber(DeviceHealthFields.Enqueued.Name, Queue.Enqueued);
        writer.WriteNumber(DeviceHealthFields.Acknowledged.Name, Queue.Acknowledged);
        writer.WriteNumber(DeviceHealthFields.AgentQueueBytes.Name, AgentQueueBytes);
        writer.WriteNumber(DeviceHealthFields.AgentQueueMaxBytes.Name, AgentQueueMaxBytes);
        writer.WriteNumber(DeviceHealthFields.AgentDropped.Name, AgentDropped);
        WriteOptional(writer, DeviceHealthFields.Battery.Name, Battery);
        WriteOptional(writer, DeviceHealthFields.Rssi.Name, RssiDbm);
        WriteOptional(writer, DeviceHealthFields.ClockOffset.Name, ClockOffset?.TotalMilliseconds);
        writer.WriteString(DeviceHealthFields.Sampling.Name, FastSampling ? "fast" : "normal");
        if (Signage is not null)
        {
            writer.WriteString(DeviceKinds.SmartPole.FindField("signage")!.Name, Signage);
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
