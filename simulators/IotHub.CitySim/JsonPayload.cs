using System.Buffers;
using System.Text.Json;

namespace IotHub.CitySim;

/// <summary>Readings as the hub's JSON telemetry payload: <c>{"ts": ms, "values": {...}}</c>.</summary>
internal static class JsonPayload
{
    public static byte[] Create(DateTimeOffset time, IReadOnlyList<KeyValuePair<string, object>> readings)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("ts", time.ToUnixTimeMilliseconds());
            json.WriteStartObject("values");
            foreach (var (name, value) in readings)
            {
                switch (value)
                {
                    case double d:
                        json.WriteNumber(name, d);
                        break;
                    case long l:
                        json.WriteNumber(name, l);
                        break;
                    case int i:
                        json.WriteNumber(name, i);
                        break;
                    case bool b:
                        json.WriteBoolean(name, b);
                        break;
                    default:
                        json.WriteString(name, value.ToString());
                        break;
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
