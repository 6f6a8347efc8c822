using System.Text.Json;

namespace IotHub.Telemetry;

/// <summary>
/// Decodes ThingsBoard-style JSON telemetry: <c>{"ts": ms, "values": {...}}</c>, a flat object
/// <c>{"temperature": 21.5}</c>, or an array of either. Numbers written without a fraction or
/// exponent decode as integers, others as floats; the device kind decides the stored type.
/// </summary>
public static class JsonTelemetryDecoder
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>
    /// Decodes a payload, ThingsBoard style or SenML (told apart by shape); throws
    /// <see cref="PayloadException"/> naming the problem.
    /// </summary>
    /// <param name="payload">UTF-8 JSON.</param>
    /// <param name="maxReadings">Most readings (array elements) one payload may carry.</param>
    /// <param name="nowNs">The hub's clock, for SenML's relative times.</param>
    public static IReadOnlyList<RawReading> Decode(ReadOnlyMemory<byte> payload, int maxReadings, long nowNs)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new PayloadException(
                $"invalid JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {FirstSentence(ex.Message)}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (SenmlDecoder.LooksLikeSenml(root))
            {
                return SenmlDecoder.Decode(root, nowNs, maxReadings);
            }

            var readings = new List<RawReading>();
            if (root.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var element in root.EnumerateArray())
                {
                    if (readings.Count >= maxReadings)
                    {
                        throw new PayloadException($"more than {maxReadings} readings in one payload");
                    }

                    readings.Add(DecodeReading(element, $"element {index}"));
                    index++;
                }

                if (readings.Count == 0)
                {
                    throw new PayloadException("empty array: no readings");
                }
            }
            else
            {
                readings.Add(DecodeReading(root, "payload"));
            }

            return readings;
        }
    }

    private static RawReading DecodeReading(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new PayloadException($"{where}: expected a JSON object, found {element.ValueKind}");
        }

        if (element.TryGetProperty("values", out var values))
        {
            long? timestamp = null;
            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals("ts"))
                {
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out var ms) || ms < 0)
                    {
                        throw new PayloadException($"{where}: \"ts\" must be milliseconds since the epoch as a non-negative integer");
                    }

                    timestamp = ms > long.MaxValue / TimeUnits.NanosPerMillisecond
                        ? throw new PayloadException($"{where}: \"ts\" {ms} is out of range")
                        : TimeUnits.FromUnixMilliseconds(ms);
                }
                else if (!property.NameEquals("values"))
                {
                    throw new PayloadException($"{where}: unexpected member \"{property.Name}\" beside \"ts\" and \"values\"");
                }
            }

            if (values.ValueKind != JsonValueKind.Object)
            {
                throw new PayloadException($"{where}: \"values\" must be an object");
            }

            return new RawReading(timestamp, DecodeValues(values, where));
        }

        return new RawReading(null, DecodeValues(element, where));
    }

    private static List<KeyValuePair<string, FieldValue>> DecodeValues(JsonElement values, string where)
    {
        var result = new List<KeyValuePair<string, FieldValue>>();
        foreach (var property in values.EnumerateObject())
        {
            if (property.Name.Length == 0)
            {
                throw new PayloadException($"{where}: empty field name");
            }

            result.Add(new(property.Name, DecodeValue(property.Value, property.Name, where)));
        }

        if (result.Count == 0)
        {
            throw new PayloadException($"{where}: no values");
        }

        return result;
    }

    private static FieldValue DecodeValue(JsonElement value, string name, string where)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                var raw = value.GetRawText();
                if (raw.AsSpan().IndexOfAny(".eE") < 0 && value.TryGetInt64(out var integer))
                {
                    return FieldValue.FromInteger(integer);
                }

                return FieldValue.FromFloat(value.GetDouble());
            case JsonValueKind.True:
                return FieldValue.FromBoolean(true);
            case JsonValueKind.False:
                return FieldValue.FromBoolean(false);
            case JsonValueKind.String:
                return FieldValue.FromString(value.GetString() ?? string.Empty);
            default:
                throw new PayloadException($"{where}: field \"{name}\" must be a number, boolean or string, found {value.ValueKind}");
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
