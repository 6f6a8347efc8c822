using System.Buffers;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Benchmarks;

/// <summary>
/// Decoding TSBS-like "cpu" lines (10 tags, 10 fields) through the zero-allocation reader into
/// a struct sink. Results are per line (<see cref="BenchmarkAttribute.OperationsPerInvoke"/>).
/// These lines take the reader's simple-line fast path except where they straddle segments.
/// </summary>
[MemoryDiagnoser]
public class LineProtocolBenchmarks : IDisposable
{
    private const int LineCount = 1000;

    // 4 KiB segments, as a socket pipe delivers them: about 1 line in 12 straddles two.
    private const int SegmentSize = 4096;

    private byte[] _integerBody = [];
    private byte[] _floatBody = [];
    private ReadOnlySequence<byte> _segmentedIntegerBody;
    private LineProtocolReader _reader = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var integers = new StringBuilder();
        var floats = new StringBuilder();
        for (var i = 0; i < LineCount; i++)
        {
            var tags = string.Create(CultureInfo.InvariantCulture, $"cpu,hostname=host_{i % 100},region=eu-west-1,datacenter=eu-west-1a,rack={i % 10},os=Ubuntu16.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test ");
            var timestamp = 1451606400000000000L + (i * 10_000_000_000L);
            integers.Append(tags);
            floats.Append(tags);
            string[] names = ["usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"];
            for (var f = 0; f < names.Length; f++)
            {
                var separator = f == 0 ? string.Empty : ",";
                integers.Append(CultureInfo.InvariantCulture, $"{separator}{names[f]}={random.Next(100)}i");
                floats.Append(CultureInfo.InvariantCulture, $"{separator}{names[f]}={random.Next(10000) / 100.0}");
            }

            integers.Append(CultureInfo.InvariantCulture, $" {timestamp}\n");
            floats.Append(CultureInfo.InvariantCulture, $" {timestamp}\n");
        }

        _integerBody = Encoding.UTF8.GetBytes(integers.ToString());
        _floatBody = Encoding.UTF8.GetBytes(floats.ToString());
        _segmentedIntegerBody = Segment(_integerBody, SegmentSize);
        _reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, 0);
        if (IntegerFields() == 0 || FloatFields() == 0 || IntegerFieldsIn4KiBSegments() == 0 || IntegerFieldsInSpan() == 0)
        {
            throw new InvalidOperationException("The benchmark input did not decode.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _reader?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = LineCount)]
    public long IntegerFields() => Read(new ReadOnlySequence<byte>(_integerBody));

    [Benchmark(OperationsPerInvoke = LineCount)]
    public long FloatFields() => Read(new ReadOnlySequence<byte>(_floatBody));

    [Benchmark(OperationsPerInvoke = LineCount)]
    public long IntegerFieldsIn4KiBSegments() => Read(_segmentedIntegerBody);

    /// <summary>The same lines through <see cref="LineProtocolReader.ReadNextInSpan{TSink}"/> (contiguous HTTP bodies).</summary>
    [Benchmark(OperationsPerInvoke = LineCount)]
    public long IntegerFieldsInSpan()
    {
        _reader.Reset(LineProtocolPrecision.Nanosecond, 0);
        var sink = new SummingSink();
        var body = _integerBody.AsSpan();
        while (_reader.ReadNextInSpan(body, isFinalBlock: true, ref sink, out var consumed, out _) == LineProtocolReadStatus.Point)
        {
            body = body[consumed..];
        }

        return sink.Points == LineCount ? sink.Checksum : 0;
    }

    /// <summary>
    /// A reference measured in the same run, not a decoder: one add per byte of the same lines.
    /// It shows what a byte-at-a-time pass costs on the machine at the time of the run.
    /// </summary>
    [Benchmark(OperationsPerInvoke = LineCount)]
    public long SumBytesOneByOne()
    {
        long sum = 0;
        foreach (var value in _integerBody)
        {
            sum += value;
        }

        return sum;
    }

    private long Read(ReadOnlySequence<byte> body)
    {
        _reader.Reset(LineProtocolPrecision.Nanosecond, 0);
        var input = new SequenceReader<byte>(body);
        var sink = new SummingSink();
        while (_reader.ReadNext(ref input, isFinalBlock: true, ref sink, out _) == LineProtocolReadStatus.Point)
        {
        }

        return sink.Points == LineCount ? sink.Checksum : 0;
    }

    private static ReadOnlySequence<byte> Segment(byte[] data, int size)
    {
        var first = new BenchmarkSegment(data.AsMemory(0, Math.Min(size, data.Length)), 0);
        var last = first;
        for (var offset = size; offset < data.Length; offset += size)
        {
            last = last.Append(data.AsMemory(offset, Math.Min(size, data.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
