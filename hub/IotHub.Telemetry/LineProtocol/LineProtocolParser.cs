using System.Buffers;
using System.Text;

namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// Convenience entry points that decode a whole body into <see cref="Point"/> objects. They
/// allocate per point; ingest paths that must not should drive a <see cref="LineProtocolReader"/>
/// with their own <see cref="ILineProtocolSink"/>.
/// </summary>
public static class LineProtocolParser
{
    /// <summary>Decodes every line; throws on the first malformed one.</summary>
    /// <exception cref="LineProtocolException">A line is malformed; the exception names its line and column.</exception>
    public static IReadOnlyList<Point> Parse(string text, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(Encoding.UTF8.GetBytes(text).AsSpan(), precision, defaultTimeNs, options);
    }

    /// <summary>Decodes every line of UTF-8 text; throws on the first malformed one.</summary>
    /// <exception cref="LineProtocolException">A line is malformed; the exception names its line and column.</exception>
    public static IReadOnlyList<Point> Parse(ReadOnlySpan<byte> utf8, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options = null)
    {
        var collector = new PointCollector();
        var errors = new List<LineProtocolError>();
        Read(utf8, precision, defaultTimeNs, options, collector, errors, stopAtFirstError: true);
        if (errors.Count > 0)
        {
            throw new LineProtocolException(errors[0]);
        }

        return collector.Points;
    }

    /// <summary>Decodes every line of UTF-8 text; throws on the first malformed one.</summary>
    /// <exception cref="LineProtocolException">A line is malformed; the exception names its line and column.</exception>
    public static IReadOnlyList<Point> Parse(ReadOnlySequence<byte> utf8, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options = null)
    {
        var collector = new PointCollector();
        var errors = new List<LineProtocolError>();
        Read(utf8, precision, defaultTimeNs, options, collector, errors, stopAtFirstError: true);
        if (errors.Count > 0)
        {
            throw new LineProtocolException(errors[0]);
        }

        return collector.Points;
    }

    /// <summary>Decodes the valid lines and reports each malformed line (a partial write).</summary>
    public static LineProtocolParseResult ParseLenient(string text, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseLenient(Encoding.UTF8.GetBytes(text).AsSpan(), precision, defaultTimeNs, options);
    }

    /// <summary>Decodes the valid lines and reports each malformed line (a partial write).</summary>
    public static LineProtocolParseResult ParseLenient(ReadOnlySpan<byte> utf8, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options = null)
    {
        var collector = new PointCollector();
        var errors = new List<LineProtocolError>();
        Read(utf8, precision, defaultTimeNs, options, collector, errors, stopAtFirstError: false);
        return new LineProtocolParseResult(collector.Points, errors);
    }

    /// <summary>Decodes the valid lines and reports each malformed line (a partial write).</summary>
    public static LineProtocolParseResult ParseLenient(ReadOnlySequence<byte> utf8, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options = null)
    {
        var collector = new PointCollector();
        var errors = new List<LineProtocolError>();
        Read(utf8, precision, defaultTimeNs, options, collector, errors, stopAtFirstError: false);
        return new LineProtocolParseResult(collector.Points, errors);
    }

    private static void Read(ReadOnlySpan<byte> utf8, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options, PointCollector collector, List<LineProtocolError> errors, bool stopAtFirstError)
    {
        using var reader = new LineProtocolReader(precision, defaultTimeNs, options);
        var offset = 0;
        while (true)
        {
            var status = reader.ReadNextInSpan(utf8[offset..], isFinalBlock: true, ref collector, out var consumed, out var error);
            offset += consumed;
            if (status == LineProtocolReadStatus.InvalidLine)
            {
                errors.Add(error);
                if (stopAtFirstError)
                {
                    return;
                }
            }
            else if (status != LineProtocolReadStatus.Point)
            {
                return;
            }
        }
    }

    private static void Read(ReadOnlySequence<byte> utf8, LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options, PointCollector collector, List<LineProtocolError> errors, bool stopAtFirstError)
    {
        using var reader = new LineProtocolReader(precision, defaultTimeNs, options);
        var input = new SequenceReader<byte>(utf8);
        while (true)
        {
            var status = reader.ReadNext(ref input, isFinalBlock: true, ref collector, out var error);
            if (status == LineProtocolReadStatus.InvalidLine)
            {
                errors.Add(error);
                if (stopAtFirstError)
                {
                    return;
                }
            }
            else if (status != LineProtocolReadStatus.Point)
            {
                return;
            }
        }
    }
}
