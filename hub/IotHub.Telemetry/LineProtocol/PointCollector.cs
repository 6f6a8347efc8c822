using System.Text;

namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// An <see cref="ILineProtocolSink"/> that builds <see cref="Point"/> objects: the convenient,
/// allocating way to consume a <see cref="LineProtocolReader"/>.
/// </summary>
public sealed class PointCollector : ILineProtocolSink
{
    private readonly List<KeyValuePair<string, string>> _tags = [];
    private readonly List<KeyValuePair<string, FieldValue>> _fields = [];
    private string _measurement = string.Empty;

    /// <summary>The points collected so far, in input order.</summary>
    public List<Point> Points { get; } = [];

    /// <inheritdoc />
    public void BeginPoint(ReadOnlySpan<byte> measurement)
    {
        _measurement = Encoding.UTF8.GetString(measurement);
        _tags.Clear();
        _fields.Clear();
    }

    /// <inheritdoc />
    public void AddTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        _tags.Add(new(Encoding.UTF8.GetString(key), Encoding.UTF8.GetString(value)));

    /// <inheritdoc />
    public void AddFloatField(ReadOnlySpan<byte> key, double value) => AddField(key, FieldValue.FromFloat(value));

    /// <inheritdoc />
    public void AddIntegerField(ReadOnlySpan<byte> key, long value) => AddField(key, FieldValue.FromInteger(value));

    /// <inheritdoc />
    public void AddUIntegerField(ReadOnlySpan<byte> key, ulong value) => AddField(key, FieldValue.FromUInteger(value));

    /// <inheritdoc />
    public void AddBooleanField(ReadOnlySpan<byte> key, bool value) => AddField(key, FieldValue.FromBoolean(value));

    /// <inheritdoc />
    public void AddStringField(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        AddField(key, FieldValue.FromString(Encoding.UTF8.GetString(value)));

    /// <inheritdoc />
    public void EndPoint(long timestampNs) => Points.Add(new Point(_measurement, _tags, _fields, timestampNs));

    private void AddField(ReadOnlySpan<byte> key, FieldValue value) =>
        _fields.Add(new(Encoding.UTF8.GetString(key), value));
}
