using IotHub.Telemetry.LineProtocol;

namespace IotHub.Telemetry.Tests.LineProtocol;

/// <summary>A sink that only counts and sums, to check the reader's own allocations.</summary>
internal struct CountingSink : ILineProtocolSink
{
    public int Points;
    public int Tags;
    public int Fields;
    public long Sum;
    public int LastKeyFirstByte;

    public void BeginPoint(ReadOnlySpan<byte> measurement) => Points++;

    public void AddTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Tags++;
        LastKeyFirstByte = key[0];
    }

    public void AddFloatField(ReadOnlySpan<byte> key, double value)
    {
        Fields++;
        Sum += (long)value;
    }

    public void AddIntegerField(ReadOnlySpan<byte> key, long value)
    {
        Fields++;
        Sum += value;
    }

    public void AddUIntegerField(ReadOnlySpan<byte> key, ulong value)
    {
        Fields++;
        Sum += (long)value;
    }

    public void AddBooleanField(ReadOnlySpan<byte> key, bool value) => Fields++;

    public void AddStringField(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Fields++;
        Sum += value.Length;
    }

    public void EndPoint(long timestampNs) => Sum += timestampNs & 1;
}
