using System.Globalization;
using System.Text.Json;

namespace IotHub.Telemetry;

/// <summary>
/// Decodes SenML JSON (RFC 8428): an array of records with base fields (<c>bn</c>, <c>bt</c>,
/// <c>bu</c>) and entries (<c>n</c>, <c>u</c>, <c>v</c>, <c>vs</c>, <c>vb</c>, <c>t</c>). Records
/// with the same resolved time become one reading; a record's field name is its <c>n</c> (or the
/// base name when it has none), since the device is known from its connection.
/// </summary>
public static class SenmlDecoder
{
    // RFC 8428 §4.5.3: a resolved time below 2^28 seconds is relative to now.
    private const double RelativeTimeLimitSeconds = 268_435_456;

    /// <summary>Whether a JSON payload looks like SenML: an array whose first record has a SenML key.</summary>
    public static bool LooksLikeSenml(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0 || root[0].ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var property in root[0].EnumerateObject())
        {
            if (property.Name is "bn" or "bt" or "bu" or "n" or "v" or "vs" or "vb" or "u")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Decodes a parsed SenML pack; throws <see cref="PayloadException"/> naming the record and problem.</summary>
    public static IReadOnlyList<RawReading> Decode(JsonElement pack, long nowNs, int maxRecords)
    {
        if (pack.ValueKind != JsonValueKind.Array)
        {
            throw new PayloadException("SenML: a pack must be a JSON array of records");
        }

        var baseName = "";
        var baseTime = 0.0;
        string? baseUnit = null;
        var byTime = new SortedDictionary<long, (List<KeyValuePair<string, FieldValue>> Values, Dictionary<string, string> Units)>();
        var index = 0;
        foreach (var record in pack.EnumerateArray())
        {
            if (index >= maxRecords)
            {
                throw new PayloadException($"SenML: more than {maxRecords} records in one pack");
            }

            if (record.ValueKind != JsonValueKind.Object)
            {
                throw new PayloadException($"SenML record {index}: expected a JSON object");
            }

            string? name = null;
            string? unit = null;
            double time = 0;
            FieldValue? value = null;
            foreach (var property in record.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "bn":
                        baseName = String(property, index);
                        break;
                    case "bt":
                        baseTime = Number(property, index);
                        break;
                    case "bu":
                        baseUnit = String(property, index);
                        break;
                    case "n":
                        name = String(property, index);
                        break;
                    case "u":
                        unit = String(property, index);
                        break;
                    case "t":
                        time = Number(property, index);
                        break;
                    case "v":
                        value = FieldValue.FromFloat(Number(property, index));
                        break;
                    case "vs":
                        value = FieldValue.FromString(String(property, index));
                        break;
                    case "vb":
                        value = property.Value.ValueKind switch
                        {
                            JsonValueKind.True => FieldValue.FromBoolean(true),
                            JsonValueKind.False => FieldValue.FromBoolean(false),
                            _ => throw new PayloadException($"SenML record {index}: \"vb\" must be true or false"),
                        };
                        break;
                    case "vd":
                        throw new PayloadException($"SenML record {index}: data values (\"vd\") are not accepted as telemetry; send images on the image topic");
                    case "bver" or "s" or "ut" or "bs":
                        // Version, sum and update time carry nothing the hub stores.
                        break;
                    default:
                        throw new PayloadException($"SenML record {index}: unknown field \"{property.Name}\"");
                }
            }

            if (value is null)
            {
                // A record with base fields only sets them for the records after it (RFC 8428 §4.1).
                if (name is not null)
                {
                    throw new PayloadException($"SenML record {index}: \"{name}\" has no value (v, vs or vb)");
                }

                index++;
                continue;
            }

            var field = name ?? baseName;
            if (field.Length == 0)
            {
                throw new PayloadException($"SenML record {index}: no name (n or bn)");
            }

            var seconds = baseTime + time;
            var timestampNs = seconds < RelativeTimeLimitSeconds
                ? nowNs + (long)(seconds * 1e9)
                : (seconds * 1e9) < long.MaxValue ? (long)Math.Round(seconds * 1e9) : throw new PayloadException($"SenML record {index}: time {seconds.ToString(CultureInfo.InvariantCulture)} is out of range");
            if (!byTime.TryGetValue(timestampNs, out var reading))
            {
                reading = ([], new Dictionary<string, string>(StringComparer.Ordinal));
                byTime[timestampNs] = reading;
            }

            reading.Values.Add(new(field, value.Value));
            if ((unit ?? baseUnit) is { } declared)
            {
                reading.Units[field] = declared;
            }

            index++;
        }

        if (byTime.Count == 0)
        {
            throw new PayloadException("SenML: the pack has no values");
        }

        return [.. byTime.Select(r => new RawReading(r.Key, r.Value.Values, r.Value.Units.Count > 0 ? r.Value.Units : null))];
    }

    private static string String(JsonProperty property, int index) =>
        property.Value.ValueKind == JsonValueKind.String
            ? property.Value.GetString()!
            : throw new PayloadException($"SenML record {index}: \"{property.Name}\" must be a string");

    private static double Number(JsonProperty property, int index) =>
        property.Value.ValueKind == JsonValueKind.Number
            ? property.Value.GetDouble()
            : throw new PayloadException($"SenML record {index}: \"{property.Name}\" must be a number");
}
