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
            if (MeasurementProblem(kind, point.Measurement) is { } problem)
            {
                throw new IngestRejectedException(RejectReason.UnknownMeasurement, $"reading {i}: {problem}");
            }

            var tags = DeviceTags(device, point.Tags);
            if (tags.Count > options.MaxTagsPerPoint)
            {
                throw new IngestRejectedException(RejectReason.TooManyTags, $"reading {i}: {TooManyTagsProblem(tags.Count)}");
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
                throw new IngestRejectedException(RejectReason.TooManyTags, $"point {i}: {TooManyTagsProblem(point.Tags.Count)}");
            }

            foreach (var (name, value) in point.Fields)
            {
                if (value.Kind == FieldKind.Float && !double.IsFinite(value.AsFloat))
                {
                    throw new IngestRejectedException(RejectReason.NonFiniteValue, $"point {i}: {NonFiniteProblem(name, value.AsFloat)}");
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

    internal static List<KeyValuePair<string, string>> DeviceTags(DeviceRecord device, IReadOnlyList<KeyValuePair<string, string>> written)
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
            var spec = kind.FindField(name) ?? throw new IngestRejectedException(RejectReason.UnknownField, $"reading {index}: {UnknownFieldProblem(kind, name)}");
            fields.Add(new(name, Coerce(spec, value, index)));
        }

        return fields;
    }

    internal (long NowNs, long EarliestNs, long LatestNs) Window()
    {
        var now = time.GetUtcNow();
        return (TimeUnits.FromDateTimeOffset(now), TimeUnits.FromDateTimeOffset(now - options.MaxPastAge), TimeUnits.FromDateTimeOffset(now + options.MaxFutureSkew));
    }

    private static long CheckTimestamp(long timestamp, (long NowNs, long EarliestNs, long LatestNs) window, int index)
    {
        if (TimestampProblem(timestamp, window) is { } problem)
        {
            throw new IngestRejectedException(RejectReason.TimestampOutOfRange, $"reading {index}: {problem}");
        }

        return timestamp;
    }

    /// <summary>Why a timestamp is refused (<see cref="RejectReason.TimestampOutOfRange"/>), or <c>null</c> when it is inside the window.</summary>
    internal static string? TimestampProblem(long timestamp, (long NowNs, long EarliestNs, long LatestNs) window) =>
        timestamp < window.EarliestNs || timestamp > window.LatestNs
            ? $"timestamp {TimeUnits.ToDateTimeOffset(timestamp):O} is outside the accepted window {TimeUnits.ToDateTimeOffset(window.EarliestNs):O} .. {TimeUnits.ToDateTimeOffset(window.LatestNs):O}"
            : null;

    /// <summary>Why a measurement is not a device kind's, or <c>null</c> when it is.</summary>
    internal static string? MeasurementProblem(DeviceKind kind, string measurement) =>
        string.Equals(measurement, kind.Measurement, StringComparison.Ordinal)
            ? null
            : $"measurement '{measurement}' is not '{kind.Measurement}', the measurement of kind {kind.Id}";

    /// <summary>The refusal of a field a kind does not define (<see cref="RejectReason.UnknownField"/>).</summary>
    internal static string UnknownFieldProblem(DeviceKind kind, string name) =>
        $"field \"{name}\" is not defined for kind {kind.Id} (fields: {string.Join(", ", kind.Fields.Select(f => f.Name))})";

    /// <summary>The refusal of a point with too many tags (<see cref="RejectReason.TooManyTags"/>).</summary>
    internal string TooManyTagsProblem(int count) => $"{count} tags exceed the limit of {options.MaxTagsPerPoint}";

    /// <summary>Most tags a point may carry.</summary>
    internal int MaxTagsPerPoint => options.MaxTagsPerPoint;

    /// <summary>Most readings a device's payload may carry.</summary>
    internal int MaxReadingsPerPayload => options.MaxReadingsPerPayload;

    /// <summary>The refusal of a NaN or infinite float (<see cref="RejectReason.NonFiniteValue"/>).</summary>
    internal static string NonFiniteProblem(string field, double value) => $"field \"{field}\" is {value}; NaN and infinities are not stored";

    /// <summary>
    /// Converts a value to the type its kind's field defines, or says why it cannot
    /// (<see cref="RejectReason.NonFiniteValue"/> or <see cref="RejectReason.WrongFieldType"/>).
    /// </summary>
    internal static bool TryCoerce(FieldSpec spec, FieldValue value, out FieldValue coerced, out RejectReason reason, out string? problem)
    {
        reason = default;
        problem = null;
        coerced = value;
        if (value.Kind == FieldKind.Float && !double.IsFinite(value.AsFloat))
        {
            reason = RejectReason.NonFiniteValue;
            problem = NonFiniteProblem(spec.Name, value.AsFloat);
            return false;
        }

        if (value.Kind == spec.Type)
        {
            return true;
        }

        switch (spec.Type)
        {
            case FieldKind.Float when value.Kind is FieldKind.Integer:
                coerced = FieldValue.FromFloat(value.AsInteger);
                return true;
            case FieldKind.Float when value.Kind is FieldKind.UInteger:
                coerced = FieldValue.FromFloat(value.AsUInteger);
                return true;
            case FieldKind.Integer when value.Kind is FieldKind.Float && value.AsFloat == Math.Floor(value.AsFloat) && Math.Abs(value.AsFloat) < 9.2e18:
                coerced = FieldValue.FromInteger((long)value.AsFloat);
                return true;
            case FieldKind.Integer when value.Kind is FieldKind.UInteger && value.AsUInteger <= long.MaxValue:
                coerced = FieldValue.FromInteger((long)value.AsUInteger);
                return true;
            default:
                reason = RejectReason.WrongFieldType;
                problem = $"field \"{spec.Name}\" must be {spec.Type.ToString().ToLowerInvariant()}, got {value.Kind.ToString().ToLowerInvariant()} {value}";
                return false;
        }
    }

    private static FieldValue Coerce(FieldSpec spec, FieldValue value, int index) =>
        TryCoerce(spec, value, out var coerced, out var reason, out var problem)
            ? coerced
            : throw new IngestRejectedException(reason, $"reading {index}: {problem}");
}
