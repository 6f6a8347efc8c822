using System.Buffers;

namespace IotHub.Telemetry;

/// <summary>Tells a telemetry payload's format from its MQTT 5 content type, or else from its first byte.</summary>
public static class PayloadFormats
{
    /// <summary>The format of a payload.</summary>
    public static PayloadFormat Detect(string? contentType, ReadOnlySequence<byte> payload)
    {
        if (!string.IsNullOrEmpty(contentType))
        {
            if (contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                return PayloadFormat.Json;
            }

            if (contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase)
                || contentType.Contains("line-protocol", StringComparison.OrdinalIgnoreCase))
            {
                return PayloadFormat.LineProtocol;
            }
        }

        // JSON starts with an object or array; a line protocol line starts with a measurement name,
        // which may not begin with '{' or '[' unescaped in practice (no InfluxDB client writes that).
        var reader = new SequenceReader<byte>(payload);
        while (reader.TryRead(out var b))
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b is (byte)'{' or (byte)'[' ? PayloadFormat.Json : PayloadFormat.LineProtocol;
        }

        return PayloadFormat.Json;
    }
}
