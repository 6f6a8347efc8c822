using System.Buffers;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Telemetry.Tests.LineProtocol;

/// <summary>Drives a <see cref="LineProtocolReader"/> the way a pipe read loop does.</summary>
internal static class LineProtocolTestReader
{
    /// <summary>Reads until the reader needs more data or the input ends; returns how much was consumed.</summary>
    public static long ReadAvailable(LineProtocolReader reader, ReadOnlySequence<byte> data, bool isFinalBlock, PointCollector collector, List<DecodedLine> lines)
    {
        var input = new SequenceReader<byte>(data);
        while (true)
        {
            var before = collector.Points.Count;
            var status = reader.ReadNext(ref input, isFinalBlock, ref collector, out var error);
            switch (status)
            {
                case LineProtocolReadStatus.Point:
                    Assert.Equal(before + 1, collector.Points.Count);
                    lines.Add(new DecodedLine(collector.Points[^1], null));
                    break;
                case LineProtocolReadStatus.InvalidLine:
                    Assert.Equal(before, collector.Points.Count);
                    lines.Add(new DecodedLine(null, error));
                    break;
                case LineProtocolReadStatus.EndOfInput:
                    Assert.True(isFinalBlock, "EndOfInput before the final block.");
                    Assert.True(input.End, "EndOfInput with unread data.");
                    return input.Consumed;
                default:
                    Assert.False(isFinalBlock, "NeedMoreData on the final block.");
                    return input.Consumed;
            }
        }
    }

    /// <summary>Reads a whole body in one final block.</summary>
    public static List<DecodedLine> ReadAll(ReadOnlySequence<byte> data, LineProtocolPrecision precision = LineProtocolPrecision.Nanosecond, long defaultTimeNs = 0, LineProtocolReaderOptions? options = null)
    {
        using var reader = new LineProtocolReader(precision, defaultTimeNs, options);
        var lines = new List<DecodedLine>();
        ReadAvailable(reader, data, isFinalBlock: true, new PointCollector(), lines);
        return lines;
    }
}
