using System.Buffers;
using System.Text.Json;

namespace IotHub.Edge;

/// <summary>Writes a reading as the hub's JSON telemetry object <c>{"ts": ms, "values": {...}}</c>, as queue files of earlier agents keep readings.</summary>
public static class ReadingJson
{
    /// <summary>Serializes one reading to a UTF-8 JSON object, as the disk queue keeps it.</summary>
    public static byte[] SerializeOne(long timestampMs, IReadOnlyList<KeyValuePair<string, object>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, timestampMs, values);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, long timestampMs, IReadOnlyList<KeyValuePair<string, object>> values)
    {
        writer.WriteStartObject();
        writer.WriteNumber("ts", timestampMs);
        writer.WriteStartObject("values");
        foreach (var (name, value) in values)
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
                    throw new ArgumentException($"Field '{name}' has unsupported value type {value?.GetType().Name ?? "null"}.", nameof(values));
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
