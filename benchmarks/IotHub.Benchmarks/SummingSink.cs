using IotHub.Telemetry.LineProtocol;

namespace IotHub.Benchmarks;

/// <summary>A zero-allocation sink that touches every value so none of the work is optimized away.</summary>
internal struct SummingSink : ILineProtocolSink
{
    public long Points;
    public long Checksum;

    public void BeginPoint(ReadOnlySpan<byte> measurement)
    {
        Points++;
        Checksum += measurement.Length;
    }

    public void AddTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Checksum += key.Length + value.Length;

    public void AddFloatField(ReadOnlySpan<byte> key, double value) => Checksum += (long)value;

    public void AddIntegerField(ReadOnlySpan<byte> key, long value) => Checksum += value;

    public void AddUIntegerField(ReadOnlySpan<byte> key, ulong value) => Checksum += (long)value;

    public void AddBooleanField(ReadOnlySpan<byte> key, bool value) => Checksum += value ? 1 : 0;

    public void AddStringField(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Checksum += value.Length;

    public void EndPoint(long timestampNs) => Checksum ^= timestampNs;
}
