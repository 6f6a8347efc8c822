using IotHub.City;
using IotHub.Telemetry;

namespace IotHub.Ingest;

/// <summary>
/// Checks what devices and clients write before it reaches the store. A device's readings become
/// points of its kind's measurement, tagged with the device id and its registered tags, with
/// every field checked against the kind; every value is checked for NaN and infinity, and every
/// timestamp against the accepted window. A rejection names the reading and the problem.
/// </summary>
public sealed class TelemetryMapper(IngestOptions options, TimeProvider time)
{
    /// <summary>Maps decoded readings of a device; throws <see cref="IngestRejectedException"/> at the first bad one (nothing is kept).</summary>
    public List<Point> Map(DeviceRecord device, IReadOnlyList<RawReading> readings)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(readings);
        var kind = KindOf(device);
        CheckCount(readings.Count);
        var window = Window();
        var tags = DeviceTags(device, []);
        var points = new List<Point>(readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            var reading = readings[i];
            var timestamp = CheckTimestamp(reading.TimestampNs ?? window.NowNs, window, i);
            CheckUnits(kind, reading, i);
            points.Add(new Point(kind.Measurement, tags, MapFields(kind, reading.Values, i), timestamp));
        }

        return points;
    }

    /// <summary>
    /// Maps line protocol points written by a device: the measurement must be its kind's, fields
    /// must be the kind's, the device tag is always the device's own.
    /// </summary>
    public List<Point> MapPoints(DeviceRecord device, IReadOnlyList<Point> written)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(written);
        var kind = KindOf(device);
        CheckCount(written.Count);
        var window = Window();
        var points = new List<Point>(written.Count);
        for (var i = 0; i < written.Count; i++)
        {
            var point = written[i];
            if (!string.Equals(point.Measurement, kind.Measurement, StringComparison.Ordinal))
            {
                throw new IngestRejectedException(RejectReason.UnknownMeasurement, $"reading {i}: measurement '{point.Measurement}' is not '{kind.Measurement}', the measurement of kind {kind.Id}");
            }

            var tags = DeviceTags(device, point.Tags);
            if (tags.Count > options.MaxTagsPerPoint)
            {
                throw new IngestRejectedException(RejectReason.TooManyTags, $"reading {i}: {tags.Count} tags exceed the limit of {options.MaxTagsPerPoint}");
            }

            points.Add(new Point(kind.Measurement, tags, MapFields(kind, point.Fields, i), CheckTimestamp(point.TimestampNs, window, i)));
        }

        return points;
    }

    /// <summary>
    /// Checks points written with the admin token, which are bound to no device kind (as with any
    /// InfluxDB-compatible server): limits, finite values and the timestamp window only.
    /// </summary>
    public void CheckUnbound(IReadOnlyList<Point> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var window = Window();
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            if (point.Tags.Count > options.MaxTagsPerPoint)
            {
                throw new IngestRejectedException(RejectReason.TooManyTags, $"point {i}: {point.Tags.Count} tags exceed the limit of {options.MaxTagsPerPoint}");
            }

            foreach (var (name, value) in point.Fields)
            {
                if (value.Kind == FieldKind.Float && !double.IsFinite(value.AsFloat))
                {
                    throw new IngestRejectedException(RejectReason.NonFiniteValue, $"point {i}: field \"{name}\" is {value.AsFloat}; NaN and infinities are not stored");
                }
            }

            CheckTimestamp(point.TimestampNs, window, i);
        }
    }

    private static void CheckUnits(DeviceKind kind, RawReading reading, int index)
    {
        if (reading.Units is null)
        {
            return;
        }

        foreach (var (field, unit) in reading.Units)
        {
            if (kind.FindField(field) is { Unit.Length: > 0 } spec && !string.Equals(spec.Unit, unit, StringComparison.Ordinal))
            {
                throw new IngestRejectedException(RejectReason.WrongUnit, $"reading {index}: field \"{field}\" is in {spec.Unit}, not {unit}");
            }
        }
    }

    private static DeviceKind KindOf(DeviceRecord device) =>
        DeviceKinds.TryGet(device.Kind, out var kind)
            ? kind
            : throw new IngestRejectedException(RejectReason.UnknownField, $"device '{device.Id}' has unknown kind '{device.Kind}'");

    private void CheckCount(int count)
    {
        if (count > options.MaxReadingsPerPayload)
        {
            throw new IngestRejectedException(RejectReason.TooManyReadings, $"{count} readings exceed the limit of {options.MaxReadingsPerPayload} per payload");
        }
    }

    private static List<KeyValuePair<string, string>> DeviceTags(DeviceRecord device, IReadOnlyList<KeyValuePair<string, string>> written)
    {
        // Registered tags win over written ones, and nobody writes another device's id.
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in written)
        {
            tags[key] = value;
        }

        foreach (var (key, value) in device.Tags)
        {
            tags[key] = value;
        }

        tags["device"] = device.Id;
        return [.. tags];
    }

    private static List<KeyValuePair<string, FieldValue>> MapFields(DeviceKind kind, IReadOnlyList<KeyValuePair<string, FieldValue>> values, int index)
    {
        var fields = new List<KeyValuePair<string, FieldValue>>(values.Count);
        foreach (var (name, value) in values)
        {
            var spec = kind.FindField(name) ?? throw new IngestRejectedException(
                RejectReason.UnknownField,
                $"reading {index}: field \"{name}\" is not defined for kind {kind.Id} (fields: {string.Join(", ", kind.Fields.Select(f => f.Name))})");
            fields.Add(new(name, Coerce(spec, value, index)));
        }

        return fields;
    }

    private (long NowNs, long EarliestNs, long LatestNs) Window()
    {
        var now = time.GetUtcNow();
        return (TimeUnits.FromDateTimeOffset(now), TimeUnits.FromDateTimeOffset(now - options.MaxPastAge), TimeUnits.FromDateTimeOffset(now + options.MaxFutureSkew));
    }

    private static long CheckTimestamp(long timestamp, (long NowNs, long EarliestNs, long LatestNs) window, int index)
    {
        if (timestamp < window.EarliestNs || timestamp > window.LatestNs)
        {
            throw new IngestRejectedException(
                RejectReason.TimestampOutOfRange,
                $"reading {index}: timestamp {TimeUnits.ToDateTimeOffset(timestamp):O} is outside the accepted window {TimeUnits.ToDateTimeOffset(window.EarliestNs):O} .. {TimeUnits.ToDateTimeOffset(window.LatestNs):O}");
        }

        return timestamp;
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
