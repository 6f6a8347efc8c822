using IotHub.City;
using IotHub.Telemetry;

namespace IotHub.Ingest;

/// <summary>
/// Turns a device's decoded readings into points of its kind's measurement, tagged with the
/// device id and its registered tags, after checking every field against the kind, every value
/// for NaN and infinity, and every timestamp against the accepted window.
/// </summary>
public sealed class TelemetryMapper(IngestOptions options, TimeProvider time)
{
    /// <summary>Maps readings of a device; throws <see cref="IngestRejectedException"/> at the first bad one (nothing is kept).</summary>
    public List<Point> Map(DeviceRecord device, IReadOnlyList<RawReading> readings)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(readings);
        if (!DeviceKinds.TryGet(device.Kind, out var kind))
        {
            throw new IngestRejectedException(RejectReason.UnknownField, $"device '{device.Id}' has unknown kind '{device.Kind}'");
        }

        if (readings.Count > options.MaxReadingsPerPayload)
        {
            throw new IngestRejectedException(RejectReason.TooManyReadings, $"{readings.Count} readings exceed the limit of {options.MaxReadingsPerPayload} per payload");
        }

        var now = time.GetUtcNow();
        var nowNs = TimeUnits.FromDateTimeOffset(now);
        var earliest = TimeUnits.FromDateTimeOffset(now - options.MaxPastAge);
        var latest = TimeUnits.FromDateTimeOffset(now + options.MaxFutureSkew);
        var tags = new List<KeyValuePair<string, string>>(device.Tags.Count + 1) { new("device", device.Id) };
        foreach (var tag in device.Tags)
        {
            if (!string.Equals(tag.Key, "device", StringComparison.Ordinal))
            {
                tags.Add(tag);
            }
        }

        var points = new List<Point>(readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            var reading = readings[i];
            var timestamp = reading.TimestampNs ?? nowNs;
            if (timestamp < earliest || timestamp > latest)
            {
                throw new IngestRejectedException(
                    RejectReason.TimestampOutOfRange,
                    $"reading {i}: timestamp {TimeUnits.ToDateTimeOffset(timestamp):O} is outside the accepted window {now - options.MaxPastAge:O} .. {now + options.MaxFutureSkew:O}");
            }

            var fields = new List<KeyValuePair<string, FieldValue>>(reading.Values.Count);
            foreach (var (name, value) in reading.Values)
            {
                var spec = kind.FindField(name) ?? throw new IngestRejectedException(
                    RejectReason.UnknownField,
                    $"reading {i}: field \"{name}\" is not defined for kind {kind.Id} (fields: {string.Join(", ", kind.Fields.Select(f => f.Name))})");
                fields.Add(new(name, Coerce(spec, value, i)));
            }

            points.Add(new Point(kind.Measurement, tags, fields, timestamp));
        }

        return points;
    }

    private static FieldValue Coerce(FieldSpec spec, FieldValue value, int index)
    {
        if (value.Kind == FieldKind.Float && !double.IsFinite(value.AsFloat))
        {
            throw new IngestRejectedException(RejectReason.NonFiniteValue, $"reading {index}: field \"{spec.Name}\" is {value.AsFloat}; NaN and infinities are not stored");
        }

        if (value.Kind == spec.Type)
        {
            return value;
        }

        switch (spec.Type)
        {
            case FieldKind.Float when value.Kind is FieldKind.Integer:
                return FieldValue.FromFloat(value.AsInteger);
            case FieldKind.Float when value.Kind is FieldKind.UInteger:
                return FieldValue.FromFloat(value.AsUInteger);
            case FieldKind.Integer when value.Kind is FieldKind.Float && value.AsFloat == Math.Floor(value.AsFloat) && Math.Abs(value.AsFloat) < 9.2e18:
                return FieldValue.FromInteger((long)value.AsFloat);
            case FieldKind.Integer when value.Kind is FieldKind.UInteger && value.AsUInteger <= long.MaxValue:
                return FieldValue.FromInteger((long)value.AsUInteger);
            default:
                throw new IngestRejectedException(
                    RejectReason.WrongFieldType,
                    $"reading {index}: field \"{spec.Name}\" must be {spec.Type.ToString().ToLowerInvariant()}, got {value.Kind.ToString().ToLowerInvariant()} {value}");
        }
    }
}
