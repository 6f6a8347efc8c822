using System.Buffers;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Edge;

/// <summary>
/// Writes a reading as one line of InfluxDB line protocol with a nanosecond timestamp, as the
/// disk queue keeps it and the hub's MQTT and gRPC listeners read it. The line names the
/// device's measurement and no tags: the hub tags a device's points with its id itself.
/// </summary>
public static class ReadingLineProtocol
{
    /// <summary>Serializes one reading to a UTF-8 line ending in a line feed.</summary>
    /// <exception cref="ArgumentException">A value of an unsupported type, NaN or infinite, or no values at all.</exception>
    public static byte[] SerializeOne(string measurement, long timestampMs, IReadOnlyList<KeyValuePair<string, object>> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        ArgumentNullException.ThrowIfNull(values);
        var fields = new KeyValuePair<string, FieldValue>[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            var (name, value) = values[i];
            fields[i] = new(name, value switch
            {
                double d => FieldValue.FromFloat(d),
                long l => FieldValue.FromInteger(l),
                int n => FieldValue.FromInteger(n),
                bool b => FieldValue.FromBoolean(b),
                string s => FieldValue.FromString(s),
                _ => throw new ArgumentException($"Field '{name}' has unsupported value type {value?.GetType().Name ?? "null"}.", nameof(values)),
            });
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        LineProtocolWriter.Write(buffer, new Point(measurement, [], fields, TimeUnits.FromUnixMilliseconds(timestampMs)));
        return buffer.WrittenSpan.ToArray();
    }
}
