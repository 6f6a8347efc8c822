using System.Buffers;
using System.Text.Json;

namespace IotHub.Edge;

/// <summary>Writes readings as the hub's JSON telemetry: an array of <c>{"ts": ms, "values": {...}}</c>.</summary>
public static class ReadingJson
{
    /// <summary>One buffered reading.</summary>
    /// <param name="TimestampMs">Milliseconds since the epoch.</param>
    /// <param name="Values">Field name and value (double, long, bool or string).</param>
    public sealed record Reading(long TimestampMs, IReadOnlyList<KeyValuePair<string, object>> Values);

    /// <summary>Serializes readings to UTF-8 JSON.</summary>
    public static byte[] Serialize(IReadOnlyList<Reading> readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var reading in readings)
            {
                writer.WriteStartObject();
                writer.WriteNumber("ts", reading.TimestampMs);
                writer.WriteStartObject("values");
                foreach (var (name, value) in reading.Values)
                {
                    switch (value)
                    {
                        case double d:
                            writer.WriteNumber(name, d);
                            break;
                        case long l:
                            writer.WriteNumber(name, l);
                            break;
                        case int i:
                            writer.WriteNumber(name, i);
                            break;
                        case bool b:
                            writer.WriteBoolean(name, b);
                            break;
                        case string s:
                            writer.WriteString(name, s);
                            break;
                        default:
                            throw new ArgumentException($"Field '{name}' has unsupported value type {value?.GetType().Name ?? "null"}.", nameof(readings));
                    }
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
