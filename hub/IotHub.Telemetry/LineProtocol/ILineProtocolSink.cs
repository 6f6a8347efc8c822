namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// Receives the points a <see cref="LineProtocolReader"/> decodes, without allocating: every
/// name and string arrives as unescaped UTF-8 that is valid only during the call. Implement it
/// on a struct (or ref struct) so the reader's generic calls are devirtualized and inlined.
/// </summary>
/// <remarks>
/// For each valid line the reader calls <see cref="BeginPoint"/>, then <see cref="AddTag"/>
/// once per tag in ordinal key order (keys are unique), then one Add…Field method per field in
/// line order, then <see cref="EndPoint"/>. A malformed line produces no calls at all, so a
/// sink never sees half a point.
/// </remarks>
public interface ILineProtocolSink
{
    /// <summary>A point starts; <paramref name="measurement"/> is its measurement name.</summary>
    void BeginPoint(ReadOnlySpan<byte> measurement);

    /// <summary>A tag of the current point.</summary>
    void AddTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>A float field.</summary>
    void AddFloatField(ReadOnlySpan<byte> key, double value);

    /// <summary>A signed integer field (<c>42i</c>).</summary>
    void AddIntegerField(ReadOnlySpan<byte> key, long value);

    /// <summary>An unsigned integer field (<c>42u</c>).</summary>
    void AddUIntegerField(ReadOnlySpan<byte> key, ulong value);

    /// <summary>A boolean field.</summary>
    void AddBooleanField(ReadOnlySpan<byte> key, bool value);

    /// <summary>A string field; <paramref name="value"/> is unescaped UTF-8.</summary>
    void AddStringField(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>The point is complete; <paramref name="timestampNs"/> is in nanoseconds since the Unix epoch.</summary>
    void EndPoint(long timestampNs);
}
