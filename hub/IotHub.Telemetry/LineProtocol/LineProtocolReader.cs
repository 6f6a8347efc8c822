using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;
using static IotHub.Telemetry.LineProtocol.LineProtocolCharClasses;

namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// Streaming decoder of the InfluxDB line protocol (influxdata/line-protocol,
/// <c>line-protocol.ebnf</c>): reads one point at a time from a <see cref="SequenceReader{T}"/>
/// into an <see cref="ILineProtocolSink"/> without allocating on well-formed input.
/// </summary>
/// <remarks>
/// <para>
/// The reader is a class, not a ref struct, because it carries state across the awaits of a
/// pipe read loop: the line number for error positions, its pooled buffers, and whether it is
/// skipping the rest of an over-long line. Create one per request body (or <see cref="Reset"/>
/// it) and <see cref="Dispose"/> it to return its buffers to the pool.
/// </para>
/// <para>
/// Semantics follow the reference decoder and its conformance corpus: tags are delivered sorted
/// by key and a duplicate tag key is an error; duplicate field keys are kept in line order; a
/// line without a timestamp gets the default time truncated to the precision; a string field
/// value may span physical lines. Each malformed line is reported with its 1-based line and
/// column and skipped up to its end of line, so good lines around it are still read
/// (InfluxDB's partial writes).
/// </para>
/// </remarks>
public sealed partial class LineProtocolReader : IDisposable
{
    private const int InitialTagCapacity = 16;
    private const int InitialFieldCapacity = 16;
    private const int MinUnescapeBufferLength = 256;

    /// <summary>Longest name quoted in an error message; longer names are cut.</summary>
    private const int MaxQuotedNameLength = 64;

    private readonly int _maxLineLength;
    private LineProtocolPrecision _precision;
    private long _defaultTimeNs;
    private long _lineNumber;
    private bool _discardingLine;

    private TokenRef _measurement;
    private TagToken[] _tags;
    private int _tagCount;
    private FieldToken[] _fields;
    private int _fieldCount;

    // Unescaped names and strings of the current line; only used by lines with escapes.
    private byte[] _unescapeBuffer;
    private int _unescapeLength;

    // Contiguous copy of a line that straddles segments of the input sequence.
    private byte[] _lineBuffer;

    // Results of the last ParseLine call that do not fit its return value.
    private int _lineFeedsInLine;
    private LineProtocolError _error;

    /// <summary>Creates a reader for one body of line protocol.</summary>
    /// <param name="precision">Unit of the timestamps in the body.</param>
    /// <param name="defaultTimeNs">Time, in nanoseconds since the epoch, of lines without a timestamp (usually the time the request arrived); truncated to <paramref name="precision"/>.</param>
    /// <param name="options">Limits; <c>null</c> for the defaults.</param>
    public LineProtocolReader(LineProtocolPrecision precision, long defaultTimeNs, LineProtocolReaderOptions? options = null)
    {
        options ??= LineProtocolReaderOptions.Default;
        options.Validate();
        _maxLineLength = options.MaxLineLength;
        _tags = ArrayPool<TagToken>.Shared.Rent(InitialTagCapacity);
        _fields = ArrayPool<FieldToken>.Shared.Rent(InitialFieldCapacity);
        _unescapeBuffer = [];
        _lineBuffer = [];
        Reset(precision, defaultTimeNs);
    }

    /// <summary>1-based number of the line the next read starts on.</summary>
    public long LineNumber => _lineNumber;

    /// <summary>The longest line, in bytes including its line ending, this reader accepts.</summary>
    public int MaxLineLength => _maxLineLength;

    /// <summary>Prepares the reader for a new body, keeping its buffers.</summary>
    public void Reset(LineProtocolPrecision precision, long defaultTimeNs)
    {
        _precision = precision;
        _defaultTimeNs = precision.TruncateNanoseconds(defaultTimeNs);
        _lineNumber = 1;
        _discardingLine = false;
    }

    /// <summary>
    /// Sets the time given to lines without a timestamp (for a stream that lives longer than one
    /// body: each read's receive time), keeping the line count and any over-long line being skipped.
    /// </summary>
    public void SetDefaultTime(long defaultTimeNs) => _defaultTimeNs = _precision.TruncateNanoseconds(defaultTimeNs);

    /// <summary>
    /// Reads the next point from <paramref name="input"/> into <paramref name="sink"/>,
    /// skipping blank lines and comments.
    /// </summary>
    /// <param name="input">The buffered data; advanced past every line this call consumed. An incomplete last line is left unconsumed.</param>
    /// <param name="isFinalBlock"><c>true</c> when no data follows what <paramref name="input"/> holds, so the end of the data ends the last line.</param>
    /// <param name="sink">Receives the point when the result is <see cref="LineProtocolReadStatus.Point"/>; untouched otherwise.</param>
    /// <param name="error">Where and why, when the result is <see cref="LineProtocolReadStatus.InvalidLine"/>.</param>
    /// <returns>What was read; see <see cref="LineProtocolReadStatus"/>.</returns>
    public LineProtocolReadStatus ReadNext<TSink>(ref SequenceReader<byte> input, bool isFinalBlock, ref TSink sink, out LineProtocolError error)
        where TSink : ILineProtocolSink, allows ref struct
    {
        error = default;
        while (true)
        {
            if (_discardingLine && !TryDiscardRestOfLine(ref input))
            {
                return isFinalBlock ? LineProtocolReadStatus.EndOfInput : LineProtocolReadStatus.NeedMoreData;
            }

            if (input.End)
            {
                return isFinalBlock ? LineProtocolReadStatus.EndOfInput : LineProtocolReadStatus.NeedMoreData;
            }

            // Fast path: the line lies within the current segment. Looking at no more than
            // the maximum line length bounds the work an over-long line can cause.
            var span = input.UnreadSpan;
            var window = span.Length > _maxLineLength ? span[.._maxLineLength] : span;
            var windowHoldsAllInput = window.Length == input.Remaining;
            var result = ParseLine(window, isFinalBlock && windowHoldsAllInput, ref sink, out var consumed);
            if (result == LineResult.NeedMoreData)
            {
                if (windowHoldsAllInput)
                {
                    return LineProtocolReadStatus.NeedMoreData;
                }

                consumed = 0;
                result = window.Length == _maxLineLength
                    ? FailLineTooLong(ref input)
                    : ParseMultiSegment(ref input, isFinalBlock, ref sink, out consumed);
                if (result == LineResult.NeedMoreData)
                {
                    return LineProtocolReadStatus.NeedMoreData;
                }
            }

            input.Advance(consumed);
            _lineNumber += _lineFeedsInLine;
            switch (result)
            {
                case LineResult.Point:
                    return LineProtocolReadStatus.Point;
                case LineResult.Error:
                    error = _error;
                    return LineProtocolReadStatus.InvalidLine;
                default:
                    // A blank or comment line: go on with the next one.
                    continue;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ReturnToPool(ref _tags);
        ReturnToPool(ref _fields);
        ReturnToPool(ref _unescapeBuffer);
        ReturnToPool(ref _lineBuffer);
        ReturnToPool(ref _tagOrder);
        ReturnToPool(ref _separators);
        ReturnToPool(ref _scratchBlock);
        _tagOrderCount = 0;
    }

    /// <summary>
    /// Reads the next point of contiguous input (a whole request body): like
    /// <see cref="ReadNext{TSink}"/> without the cost of a <see cref="SequenceReader{T}"/>.
    /// </summary>
    /// <param name="input">The rest of the data; call again with <c>input[consumed..]</c>.</param>
    /// <param name="isFinalBlock"><c>true</c> when no data follows <paramref name="input"/>.</param>
    /// <param name="sink">Receives the point when the result is <see cref="LineProtocolReadStatus.Point"/>.</param>
    /// <param name="consumed">Bytes of <paramref name="input"/> this call consumed.</param>
    /// <param name="error">Where and why, when the result is <see cref="LineProtocolReadStatus.InvalidLine"/>.</param>
    /// <returns>What was read; see <see cref="LineProtocolReadStatus"/>.</returns>
    public LineProtocolReadStatus ReadNextInSpan<TSink>(ReadOnlySpan<byte> input, bool isFinalBlock, ref TSink sink, out int consumed, out LineProtocolError error)
        where TSink : ILineProtocolSink, allows ref struct
    {
        consumed = 0;
        error = default;
        while (true)
        {
            var rest = input[consumed..];
            if (_discardingLine)
            {
                var lineFeed = rest.IndexOf((byte)'\n');
                if (lineFeed < 0)
                {
                    consumed = input.Length;
                    return isFinalBlock ? LineProtocolReadStatus.EndOfInput : LineProtocolReadStatus.NeedMoreData;
                }

                consumed += lineFeed + 1;
                _lineNumber++;
                _discardingLine = false;
                continue;
            }

            if (rest.IsEmpty)
            {
                return isFinalBlock ? LineProtocolReadStatus.EndOfInput : LineProtocolReadStatus.NeedMoreData;
            }

            var window = rest.Length > _maxLineLength ? rest[.._maxLineLength] : rest;
            var windowHoldsAllInput = window.Length == rest.Length;
            var result = ParseLine(window, isFinalBlock && windowHoldsAllInput, ref sink, out var lineLength);
            if (result == LineResult.NeedMoreData)
            {
                if (windowHoldsAllInput)
                {
                    return LineProtocolReadStatus.NeedMoreData;
                }

                var lineFeed = rest.IndexOf((byte)'\n');
                _error = LineTooLongError();
                result = LineResult.Error;
                _lineFeedsInLine = 0;
                if (lineFeed < 0)
                {
                    lineLength = rest.Length;
                    _discardingLine = true;
                }
                else
                {
                    lineLength = lineFeed + 1;
                    _lineFeedsInLine = 1;
                }
            }

            consumed += lineLength;
            _lineNumber += _lineFeedsInLine;
            switch (result)
            {
                case LineResult.Point:
                    return LineProtocolReadStatus.Point;
                case LineResult.Error:
                    error = _error;
                    return LineProtocolReadStatus.InvalidLine;
                default:
                    continue;
            }
        }
    }

    private static void ReturnToPool<T>(ref T[] array)
    {
        if (array.Length > 0)
        {
            ArrayPool<T>.Shared.Return(array);
        }

        array = [];
    }

    private bool TryDiscardRestOfLine(ref SequenceReader<byte> input)
    {
        if (input.TryAdvanceTo((byte)'\n'))
        {
            _discardingLine = false;
            _lineNumber++;
            return true;
        }

        input.AdvanceToEnd();
        return false;
    }

    private LineResult FailLineTooLong(ref SequenceReader<byte> input)
    {
        _error = LineTooLongError();

        // Skip to the end of the line now if it is buffered, or in later calls otherwise.
        if (input.TryAdvanceTo((byte)'\n'))
        {
            _lineNumber++;
        }
        else
        {
            input.AdvanceToEnd();
            _discardingLine = true;
        }

        _lineFeedsInLine = 0;
        return LineResult.Error;
    }

    private LineProtocolError LineTooLongError() =>
        new(_lineNumber, _maxLineLength + 1, $"line is longer than the maximum of {_maxLineLength} bytes");

    /// <summary>
    /// The slow path: the line straddles segments. Copies it, one physical line at a time (a
    /// string field value may hold line feeds), into a contiguous buffer of at most
    /// <see cref="MaxLineLength"/> bytes and parses the copy.
    /// </summary>
    private LineResult ParseMultiSegment<TSink>(ref SequenceReader<byte> input, bool isFinalBlock, ref TSink sink, out int consumed)
        where TSink : ILineProtocolSink, allows ref struct
    {
        var unread = input.UnreadSequence;
        var copied = 0;
        while (true)
        {
            var rest = unread.Slice(copied);
            var lineFeed = rest.PositionOf((byte)'\n');
            var piece = lineFeed.HasValue ? rest.Slice(0, rest.GetPosition(1, lineFeed.Value)) : rest;
            var pieceLength = (int)Math.Min(piece.Length, _maxLineLength - copied);
            EnsureCapacity(ref _lineBuffer, copied, copied + pieceLength, copy: true);
            piece.Slice(0, pieceLength).CopyTo(_lineBuffer.AsSpan(copied));
            copied += pieceLength;

            var copyHoldsAllInput = copied == unread.Length;
            var result = ParseLine(_lineBuffer.AsSpan(0, copied), isFinalBlock && copyHoldsAllInput, ref sink, out consumed);
            if (result != LineResult.NeedMoreData)
            {
                return result;
            }

            consumed = 0;
            if (copyHoldsAllInput)
            {
                return LineResult.NeedMoreData;
            }

            if (copied >= _maxLineLength)
            {
                // FailLineTooLong advances the input itself.
                return FailLineTooLong(ref input);
            }
        }
    }

    private static void EnsureCapacity(ref byte[] buffer, int used, int needed, bool copy)
    {
        if (buffer.Length >= needed)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(MinUnescapeBufferLength, buffer.Length * 2)));
        if (copy)
        {
            buffer.AsSpan(0, used).CopyTo(larger);
        }

        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = larger;
    }

    /// <summary>
    /// Parses one line (or blank line, or comment) at the start of <paramref name="line"/>,
    /// which starts at column 1. On success the point is delivered to the sink.
    /// </summary>
    /// <param name="line">The data from the start of the line on; may hold more lines, or only part of this one.</param>
    /// <param name="isFinal">Whether the end of <paramref name="line"/> is the end of all input (it then ends the line).</param>
    /// <param name="sink">Receives a valid point.</param>
    /// <param name="consumed">Bytes of the line including its line ending (valid unless <see cref="LineResult.NeedMoreData"/>).</param>
    /// <remarks>
    /// Hot path. The offset is never passed by reference (that would pin it to the stack for
    /// the whole method) and error messages are built in separate, non-inlined methods.
    /// </remarks>
    private LineResult ParseLine<TSink>(ReadOnlySpan<byte> line, bool isFinal, ref TSink sink, out int consumed)
        where TSink : ILineProtocolSink, allows ref struct
    {
        _lineFeedsInLine = 0;
        _unescapeLength = 0;
        return Vector128.IsHardwareAccelerated && TryParseSimpleLine(line, ref sink, out consumed)
            ? LineResult.Point
            : ParseAnyLine(line, isFinal, ref sink, out consumed);
    }

    /// <summary>
    /// <see cref="ParseLine{TSink}"/> for any line, the general parser: a method of its own, so
    /// that the fast path for simple lines does not pay for its stack frame.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private LineResult ParseAnyLine<TSink>(ReadOnlySpan<byte> line, bool isFinal, ref TSink sink, out int consumed)
        where TSink : ILineProtocolSink, allows ref struct
    {
        ReadOnlySpan<byte> classes = Table;
        consumed = 0;

        // The fast path may have stored tags and fields of a line it then left to this parser.
        _tagCount = 0;
        _fieldCount = 0;

        // line = { space_char } [ point | comment ] .
        var i = 0;
        while ((uint)i < (uint)line.Length && line[i] == ' ')
        {
            i++;
        }

        if ((uint)i >= (uint)line.Length)
        {
            if (!isFinal)
            {
                return LineResult.NeedMoreData;
            }

            consumed = line.Length;
            return LineResult.Skipped;
        }

        var current = line[i];
        if (current == '\n')
        {
            consumed = i + 1;
            _lineFeedsInLine = 1;
            return LineResult.Skipped;
        }

        if (current is (byte)'\r' or (byte)'#')
        {
            return ParseBlankOrCommentLine(line, i, isFinal, out consumed);
        }

        // measurement = measurement_start { measurement_elem } .
        var nameStart = i;
        i = ScanName(line, i, MeasurementStop, MeasurementEscapes, isFinal, out var flags);
        if (i < 0)
        {
            return LineResult.NeedMoreData;
        }

        if (i == nameStart)
        {
            return FailExpected(line, i, "a measurement name", -1, 0, isFinal, out consumed);
        }

        _measurement = flags == NameFlags.None ? TokenRef.InLine(nameStart, i - nameStart) : ResolveName(line, nameStart, i, flags, MeasurementEscapes);
        if (_measurement == TokenRef.Invalid)
        {
            return Fail(line, nameStart, i, "invalid UTF-8 in the measurement name", isFinal, out consumed);
        }

        if ((uint)i >= (uint)line.Length)
        {
            return FailExpected(line, i, "',' and a tag or ' ' and fields after the measurement", -1, 0, isFinal, out consumed);
        }

        current = line[i];
        if (current == ',')
        {
            // { "," tag } with tag = key "=" key .
            while (true)
            {
                i++;
                var keyStart = i;
                i = ScanName(line, i, KeyStop, KeyEscapes, isFinal, out flags);
                if (i < 0)
                {
                    return LineResult.NeedMoreData;
                }

                if (i == keyStart)
                {
                    return FailExpected(line, i, "a tag key after ','", -1, 0, isFinal, out consumed);
                }

                if ((uint)i >= (uint)line.Length || line[i] != '=')
                {
                    return FailExpected(line, i, "'=' after tag key", keyStart, i, isFinal, out consumed);
                }

                var key = flags == NameFlags.None ? TokenRef.InLine(keyStart, i - keyStart) : ResolveName(line, keyStart, i, flags, KeyEscapes);
                if (key == TokenRef.Invalid)
                {
                    return Fail(line, keyStart, i, "invalid UTF-8 in a tag key", isFinal, out consumed);
                }

                i++;
                var valueStart = i;
                i = ScanName(line, i, KeyStop, KeyEscapes, isFinal, out flags);
                if (i < 0)
                {
                    return LineResult.NeedMoreData;
                }

                if (i == valueStart)
                {
                    return FailExpected(line, i, "a value for tag", keyStart, valueStart - 1, isFinal, out consumed);
                }

                var value = flags == NameFlags.None ? TokenRef.InLine(valueStart, i - valueStart) : ResolveName(line, valueStart, i, flags, KeyEscapes);
                if (value == TokenRef.Invalid)
                {
                    return Fail(line, valueStart, i, "invalid UTF-8 in a tag value", isFinal, out consumed);
                }

                var keyPrefix = key.Start >= 0 ? KeyPrefix(line.Slice(keyStart, key.Length), line[keyStart..]) : KeyPrefix(Resolve(line, key), Resolve(line, key));
                AddTag(new TagToken(key, value, keyPrefix, keyStart));
                if ((uint)i >= (uint)line.Length)
                {
                    return FailExpected(line, i, "' ' and fields after the tags", -1, 0, isFinal, out consumed);
                }

                current = line[i];
                if (current == ' ')
                {
                    break;
                }

                if (current != ',')
                {
                    return FailExpected(line, i, "',' and a tag or ' ' and fields after tag", keyStart, i, isFinal, out consumed);
                }
            }
        }
        else if (current != ' ')
        {
            return FailExpected(line, i, "',' and a tag or ' ' and fields after the measurement", -1, 0, isFinal, out consumed);
        }

        // whitespace field { "," field } with field = key "=" fieldval .
        i++;
        while ((uint)i < (uint)line.Length && line[i] == ' ')
        {
            i++;
        }

        while (true)
        {
            var keyStart = i;
            i = ScanName(line, i, KeyStop, KeyEscapes, isFinal, out flags);
            if (i < 0)
            {
                return LineResult.NeedMoreData;
            }

            if (i == keyStart)
            {
                return FailExpected(line, i, "a field key", -1, 0, isFinal, out consumed);
            }

            if ((uint)i >= (uint)line.Length || line[i] != '=')
            {
                return FailExpected(line, i, "'=' after field key", keyStart, i, isFinal, out consumed);
            }

            var key = flags == NameFlags.None ? TokenRef.InLine(keyStart, i - keyStart) : ResolveName(line, keyStart, i, flags, KeyEscapes);
            if (key == TokenRef.Invalid)
            {
                return Fail(line, keyStart, i, "invalid UTF-8 in a field key", isFinal, out consumed);
            }

            i++;
            if ((uint)i >= (uint)line.Length)
            {
                if (!isFinal)
                {
                    return LineResult.NeedMoreData;
                }

                return FailExpected(line, i, "a value for field", keyStart, i - 1, isFinal, out consumed);
            }

            var valueStart = i;
            if (line[i] == '"')
            {
                i = ParseStringValue(line, i, isFinal, key, out consumed);
                if (i < 0)
                {
                    return i == NeedMoreDataMarker ? LineResult.NeedMoreData : LineResult.Error;
                }
            }
            else
            {
                // Numbers and booleans end at ',', ' ', CR or LF.
                while ((uint)i < (uint)line.Length && (classes[line[i]] & FieldValueStop) == 0)
                {
                    i++;
                }

                if ((uint)i >= (uint)line.Length && !isFinal)
                {
                    return LineResult.NeedMoreData;
                }

                if (!TryAddFieldValue(line, valueStart, i, key))
                {
                    return FailFieldValue(line, keyStart, valueStart, i, isFinal, out consumed);
                }
            }

            if ((uint)i >= (uint)line.Length)
            {
                if (!isFinal)
                {
                    return LineResult.NeedMoreData;
                }

                return Complete(line, line.Length, line.Length, _defaultTimeNs, ref sink, out consumed);
            }

            current = line[i];
            if (current == ',')
            {
                i++;
                continue;
            }

            if ((classes[current] & (Space | LineEnd)) == 0)
            {
                return FailExpected(line, i, "',' or ' ' after the value of field", keyStart, valueStart - 1, isFinal, out consumed);
            }

            break;
        }

        // [ whitespace timestamp ] { space_char } followed by the line ending.
        while ((uint)i < (uint)line.Length && line[i] == ' ')
        {
            i++;
        }

        var lineEnd = MatchLineEnd(line, i, isFinal);
        if (lineEnd == NeedMoreDataMarker)
        {
            return LineResult.NeedMoreData;
        }

        if (lineEnd >= 0)
        {
            return Complete(line, i, lineEnd, _defaultTimeNs, ref sink, out consumed);
        }

        if (!IsDigit(line[i]) && line[i] != '-')
        {
            return FailExpected(line, i, "a timestamp or the end of the line", -1, 0, isFinal, out consumed);
        }

        var timestampStart = i;
        while ((uint)i < (uint)line.Length && (IsDigit(line[i]) || line[i] == '-'))
        {
            i++;
        }

        var timestampEnd = i;
        if ((uint)i >= (uint)line.Length)
        {
            if (!isFinal)
            {
                return LineResult.NeedMoreData;
            }

            lineEnd = line.Length;
        }
        else
        {
            if ((classes[line[i]] & (Space | LineEnd)) == 0)
            {
                return FailTimestampSyntax(line, timestampStart, i, isFinal, out consumed);
            }

            while ((uint)i < (uint)line.Length && line[i] == ' ')
            {
                i++;
            }

            lineEnd = MatchLineEnd(line, i, isFinal);
            if (lineEnd == NeedMoreDataMarker)
            {
                return LineResult.NeedMoreData;
            }

            if (lineEnd < 0)
            {
                return FailExpected(line, i, "the end of the line after the timestamp", -1, 0, isFinal, out consumed);
            }
        }

        var timestampText = line[timestampStart..timestampEnd];
        if (LineProtocolNumbers.TryParseInt64(timestampText, out var timestamp) != NumberParseResult.Success
            || !_precision.TryToNanoseconds(timestamp, out var timestampNs))
        {
            return FailTimestampValue(line, timestampStart, timestampEnd, isFinal, out consumed);
        }

        return Complete(line, timestampEnd, lineEnd, timestampNs, ref sink, out consumed);
    }

    /// <summary>
    /// A string field value: <c>`"` { not(`"` | `\`) | `\` any_char } `"`</c>. Escapes
    /// <c>\\ \" \n \r \t</c> are decoded; any other backslash stays as it is.
    /// </summary>
    /// <returns>The offset after the closing quote; <see cref="NeedMoreDataMarker"/> or <see cref="ErrorMarker"/> otherwise.</returns>
    private int ParseStringValue(ReadOnlySpan<byte> line, int openingQuote, bool isFinal, TokenRef key, out int consumed)
    {
        consumed = 0;
        var i = openingQuote + 1;
        var escaped = false;
        while (true)
        {
            var next = (uint)i < (uint)line.Length ? line[i..].IndexOfAny((byte)'"', (byte)'\\') : -1;
            if (next >= 0)
            {
                i += next;
                if (line[i] == '"')
                {
                    break;
                }

                if (i + 1 < line.Length)
                {
                    if (IsStringEscape(line[i + 1]))
                    {
                        escaped = true;
                        i += 2;
                    }
                    else
                    {
                        i++;
                    }

                    continue;
                }
            }

            if (!isFinal)
            {
                return NeedMoreDataMarker;
            }

            Fail(line, openingQuote, line.Length, "expected a closing '\"' of the string field value but found end of input", isFinal, out consumed);
            return ErrorMarker;
        }

        var raw = line[(openingQuote + 1)..i];
        i++;
        _lineFeedsInLine += raw.Count((byte)'\n');
        if (!Utf8.IsValid(raw))
        {
            Fail(line, openingQuote + 1, i, "invalid UTF-8 in a string field value", isFinal, out consumed);
            return ErrorMarker;
        }

        var text = escaped ? UnescapeString(raw) : TokenRef.InLine(openingQuote + 1, raw.Length);
        AddField(new FieldToken(key, FieldKind.String, 0, text));
        return i;
    }

    /// <summary>A number or boolean field value; <c>false</c> when it is malformed or out of range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryAddFieldValue(ReadOnlySpan<byte> line, int valueStart, int valueEnd, TokenRef key)
    {
        var text = line[valueStart..valueEnd];
        if (text.IsEmpty)
        {
            return false;
        }

        var first = text[0];
        if (IsDigit(first) || first == '-' || first == '.')
        {
            switch (text[^1])
            {
                case (byte)'i':
                    if (LineProtocolNumbers.TryParseInt64(text[..^1], out var integer) != NumberParseResult.Success)
                    {
                        return false;
                    }

                    AddField(new FieldToken(key, FieldKind.Integer, integer, default));
                    return true;
                case (byte)'u':
                    if (LineProtocolNumbers.TryParseUInt64(text[..^1], out var unsigned) != NumberParseResult.Success)
                    {
                        return false;
                    }

                    AddField(new FieldToken(key, FieldKind.UInteger, unchecked((long)unsigned), default));
                    return true;
                default:
                    if (LineProtocolNumbers.TryParseFloat(text, out var number) != NumberParseResult.Success)
                    {
                        return false;
                    }

                    AddField(new FieldToken(key, FieldKind.Float, BitConverter.DoubleToInt64Bits(number), default));
                    return true;
            }
        }

        if (LineProtocolNumbers.TryParseBoolean(text, out var boolean))
        {
            AddField(new FieldToken(key, FieldKind.Boolean, boolean ? 1 : 0, default));
            return true;
        }

        return false;
    }

    /// <summary>Says why a number or boolean field value was rejected (the error path re-parses it).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private LineResult FailFieldValue(ReadOnlySpan<byte> line, int keyStart, int valueStart, int valueEnd, bool isFinal, out int consumed)
    {
        var text = line[valueStart..valueEnd];
        var first = text.IsEmpty ? (byte)0 : text[0];
        string problem;
        if (first is (byte)'t' or (byte)'T' or (byte)'f' or (byte)'F')
        {
            problem = "is not a boolean (t, T, true, True, TRUE, f, F, false, False, FALSE)";
        }
        else if (!IsDigit(first) && first != '-' && first != '.')
        {
            var found = text.IsEmpty ? Describe(line, valueStart) : Quote(text);
            return Fail(line, valueStart, valueEnd, $"expected a field value (number, string in quotes, or boolean) for field {Quote(line[keyStart..(valueStart - 1)])} but found {found}", isFinal, out consumed);
        }
        else if (text[^1] == 'i')
        {
            problem = LineProtocolNumbers.TryParseInt64(text[..^1], out _) == NumberParseResult.OutOfRange
                ? "is out of the range of a signed 64-bit integer"
                : "is not an integer ([-]digits followed by i)";
        }
        else if (text[^1] == 'u')
        {
            problem = LineProtocolNumbers.TryParseUInt64(text[..^1], out _) == NumberParseResult.OutOfRange
                ? "is out of the range of an unsigned 64-bit integer"
                : "is not an unsigned integer (digits followed by u)";
        }
        else
        {
            problem = LineProtocolNumbers.TryParseFloat(text, out _) == NumberParseResult.OutOfRange
                ? "is out of the range of a 64-bit float"
                : "is not a number (integers need a trailing i or u)";
        }

        return Fail(line, valueStart, valueEnd, $"field value {Quote(text)} {problem}", isFinal, out consumed);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private LineResult FailTimestampSyntax(ReadOnlySpan<byte> line, int timestampStart, int stop, bool isFinal, out int consumed)
    {
        var wordEnd = stop;
        while ((uint)wordEnd < (uint)line.Length && (Table[line[wordEnd]] & (Space | LineEnd)) == 0)
        {
            wordEnd++;
        }

        return Fail(line, timestampStart, stop, $"expected an integer timestamp but found {Quote(line[timestampStart..wordEnd])}", isFinal, out consumed);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private LineResult FailTimestampValue(ReadOnlySpan<byte> line, int timestampStart, int timestampEnd, bool isFinal, out int consumed)
    {
        var text = line[timestampStart..timestampEnd];
        var message = LineProtocolNumbers.TryParseInt64(text, out _) switch
        {
            NumberParseResult.OutOfRange => $"timestamp {Quote(text)} is out of the range of a 64-bit integer",
            NumberParseResult.Invalid => $"timestamp {Quote(text)} is not an integer",
            _ => $"timestamp {Quote(text)} overflows 64-bit nanoseconds at precision {_precision}",
        };
        return Fail(line, timestampStart, timestampEnd, message, isFinal, out consumed);
    }

    /// <summary>Fails with "expected <paramref name="expected"/> [name] but found …" at <paramref name="offset"/>.</summary>
    /// <param name="line">The line.</param>
    /// <param name="offset">Where the unexpected byte (or the end of input) is.</param>
    /// <param name="expected">What the grammar wants there.</param>
    /// <param name="nameStart">Start of a name to quote after <paramref name="expected"/>, or -1.</param>
    /// <param name="nameEnd">End of that name.</param>
    /// <param name="isFinal">Whether the data ends the input.</param>
    /// <param name="consumed">How much of the line to skip.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private LineResult FailExpected(ReadOnlySpan<byte> line, int offset, string expected, int nameStart, int nameEnd, bool isFinal, out int consumed)
    {
        var what = nameStart < 0 ? expected : $"{expected} {Quote(line[nameStart..nameEnd])}";
        return Fail(line, offset, offset, $"expected {what} but found {Describe(line, offset)}", isFinal, out consumed);
    }

    /// <summary>A blank line ending in CR LF (or a lone CR at the end of input), or a comment line.</summary>
    private LineResult ParseBlankOrCommentLine(ReadOnlySpan<byte> line, int i, bool isFinal, out int consumed)
    {
        consumed = 0;
        if (line[i] == '#')
        {
            // comment = "#" { not(nonprintable_char) } . (the reference decoder rejects tabs too)
            i++;
            ReadOnlySpan<byte> classes = Table;
            while ((uint)i < (uint)line.Length && (classes[line[i]] & Control) == 0)
            {
                i++;
            }
        }

        var lineEnd = MatchLineEnd(line, i, isFinal);
        if (lineEnd == NeedMoreDataMarker)
        {
            return LineResult.NeedMoreData;
        }

        if (lineEnd < 0)
        {
            var message = line[i] == '\r'
                ? "expected a line feed after the carriage return but found " + Describe(line, i + 1)
                : $"invalid character {Describe(line, i)} in a comment line";
            return Fail(line, i, i, message, isFinal, out consumed);
        }

        consumed = lineEnd;
        _lineFeedsInLine = lineEnd > 0 && line[lineEnd - 1] == '\n' ? 1 : 0;
        return LineResult.Skipped;
    }

    private const int NeedMoreDataMarker = -2;

    private const int ErrorMarker = -3;

    /// <summary>
    /// The offset after the line ending at <paramref name="i"/> (LF, CR LF, or the end of the
    /// input, which may also follow a lone CR); -1 when there is none; <see cref="NeedMoreDataMarker"/>
    /// when the data ends before it can tell.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MatchLineEnd(ReadOnlySpan<byte> line, int i, bool isFinal)
    {
        if ((uint)i >= (uint)line.Length)
        {
            return isFinal ? line.Length : NeedMoreDataMarker;
        }

        switch (line[i])
        {
            case (byte)'\n':
                return i + 1;
            case (byte)'\r':
                if (i + 1 >= line.Length)
                {
                    return isFinal ? line.Length : NeedMoreDataMarker;
                }

                return line[i + 1] == '\n' ? i + 2 : -1;
            default:
                return -1;
        }
    }

    /// <summary>
    /// Scans a measurement, tag key, tag value or field key from <paramref name="start"/> to the
    /// first byte in <paramref name="stopClasses"/> that is not escaped. A backslash escapes a
    /// byte of <paramref name="escapeClasses"/>; before any other byte it stays a literal backslash.
    /// </summary>
    /// <returns>The end of the name; <see cref="NeedMoreDataMarker"/> when the data ends before the name does (only when not final).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ScanName(ReadOnlySpan<byte> line, int start, byte stopClasses, byte escapeClasses, bool isFinal, out NameFlags flags)
    {
        flags = NameFlags.None;
        var end = LineProtocolScanner.IndexOfNameStop(line, start, stopAtEqualsSign: stopClasses == KeyStop);
        if ((uint)end >= (uint)line.Length)
        {
            return isFinal ? end : NeedMoreDataMarker;
        }

        var stop = line[end];
        return stop < 0x80 && stop != '\\' ? end : ScanNameSlow(line, end, stopClasses, escapeClasses, isFinal, out flags);
    }

    /// <summary>The rest of a name from a backslash or non-ASCII byte at <paramref name="end"/> on.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ScanNameSlow(ReadOnlySpan<byte> line, int end, byte stopClasses, byte escapeClasses, bool isFinal, out NameFlags flags)
    {
        ReadOnlySpan<byte> classes = Table;
        flags = NameFlags.None;
        while (true)
        {
            while ((uint)end < (uint)line.Length && (classes[line[end]] & stopClasses) == 0)
            {
                end++;
            }

            if ((uint)end >= (uint)line.Length)
            {
                return isFinal ? end : NeedMoreDataMarker;
            }

            var current = line[end];
            if (current >= 0x80)
            {
                flags |= NameFlags.NonAscii;
                end++;
            }
            else if (current != '\\')
            {
                return end;
            }
            else if (end + 1 >= line.Length)
            {
                // A backslash at the very end of the input stays literal.
                if (!isFinal)
                {
                    return NeedMoreDataMarker;
                }

                return end + 1;
            }
            else if ((classes[line[end + 1]] & escapeClasses) != 0)
            {
                flags |= NameFlags.Escaped;
                end += 2;
            }
            else
            {
                end++;
            }
        }
    }

    /// <summary>Unescapes and validates a name that needs it; <see cref="TokenRef.Invalid"/> for invalid UTF-8.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private TokenRef ResolveName(ReadOnlySpan<byte> line, int start, int end, NameFlags flags, byte escapeClasses)
    {
        var name = (flags & NameFlags.Escaped) != 0
            ? UnescapeName(line[start..end], escapeClasses)
            : TokenRef.InLine(start, end - start);
        return (flags & NameFlags.NonAscii) == 0 || Utf8.IsValid(Resolve(line, name)) ? name : TokenRef.Invalid;
    }

    private TokenRef UnescapeName(ReadOnlySpan<byte> raw, byte escapeClasses)
    {
        EnsureCapacity(ref _unescapeBuffer, _unescapeLength, _unescapeLength + raw.Length, copy: true);
        var destination = _unescapeBuffer.AsSpan(_unescapeLength);
        var written = 0;
        for (var k = 0; k < raw.Length; k++)
        {
            var current = raw[k];
            if (current == '\\' && k + 1 < raw.Length && (Table[raw[k + 1]] & escapeClasses) != 0)
            {
                current = raw[++k];
            }

            destination[written++] = current;
        }

        var name = TokenRef.InUnescapeBuffer(_unescapeLength, written);
        _unescapeLength += written;
        return name;
    }

    private TokenRef UnescapeString(ReadOnlySpan<byte> raw)
    {
        EnsureCapacity(ref _unescapeBuffer, _unescapeLength, _unescapeLength + raw.Length, copy: true);
        var destination = _unescapeBuffer.AsSpan(_unescapeLength);
        var written = 0;
        for (var k = 0; k < raw.Length; k++)
        {
            var current = raw[k];
            if (current == '\\' && k + 1 < raw.Length && IsStringEscape(raw[k + 1]))
            {
                current = raw[++k] switch
                {
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    var other => other,
                };
            }

            destination[written++] = current;
        }

        var text = TokenRef.InUnescapeBuffer(_unescapeLength, written);
        _unescapeLength += written;
        return text;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Resolve(ReadOnlySpan<byte> line, TokenRef token) =>
        token.Start >= 0 ? line.Slice(token.Start, token.Length) : _unescapeBuffer.AsSpan(~token.Start, token.Length);

    /// <summary>The first 8 bytes of a key, big-endian, zero padded.</summary>
    /// <param name="key">The unescaped key (not empty).</param>
    /// <param name="readable">The key followed by whatever bytes the buffer holds after it.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong KeyPrefix(ReadOnlySpan<byte> key, ReadOnlySpan<byte> readable)
    {
        if (readable.Length >= sizeof(ulong))
        {
            // One load, then clear the bytes past the key. Zero padding sorts a shorter key
            // first, as ordinal order does; keys hold no NUL bytes.
            var prefix = BinaryPrimitives.ReadUInt64BigEndian(readable);
            return key.Length >= sizeof(ulong) ? prefix : prefix & ~(ulong.MaxValue >> (8 * key.Length));
        }

        ulong padded = 0;
        for (var k = 0; k < key.Length && k < sizeof(ulong); k++)
        {
            padded |= (ulong)key[k] << (56 - (8 * k));
        }

        return padded;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddTag(TagToken tag)
    {
        if (_tagCount == _tags.Length)
        {
            Grow(ref _tags);
        }

        _tags[_tagCount++] = tag;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddField(FieldToken field)
    {
        if (_fieldCount == _fields.Length)
        {
            Grow(ref _fields);
        }

        _fields[_fieldCount++] = field;
    }

    // Unbounded growth is impossible: every tag or field takes at least 4 bytes of a line no
    // longer than MaxLineLength.
    private static void Grow<T>(ref T[] array)
    {
        var larger = ArrayPool<T>.Shared.Rent(array.Length * 2);
        array.AsSpan().CopyTo(larger);
        ArrayPool<T>.Shared.Return(array);
        array = larger;
    }

    /// <summary>Sorts the tags, rejects duplicate keys, and delivers the point.</summary>
    /// <param name="line">The line.</param>
    /// <param name="contentEnd">Offset of the end of the point's text, where recovery from a late error starts.</param>
    /// <param name="lineEnd">Offset after the line ending.</param>
    /// <param name="timestampNs">The point's time.</param>
    /// <param name="sink">Receives the point.</param>
    /// <param name="consumed">Set to <paramref name="lineEnd"/>, or the recovery point on error.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private LineResult Complete<TSink>(ReadOnlySpan<byte> line, int contentEnd, int lineEnd, long timestampNs, ref TSink sink, out int consumed)
        where TSink : ILineProtocolSink, allows ref struct
    {
        var tags = _tags.AsSpan(0, _tagCount);

        // Insertion sort: lines are short and clients usually send tags sorted already. An
        // equal key, if any, is the first one not greater than the key being inserted.
        for (var k = 1; k < tags.Length; k++)
        {
            var inserted = tags[k];
            var j = k - 1;
            while (j >= 0)
            {
                var order = CompareKeys(line, tags[j], inserted);
                if (order == 0)
                {
                    return FailDuplicateTag(line, Math.Max(tags[j].KeyOffset, inserted.KeyOffset), contentEnd, inserted.Key, out consumed);
                }

                if (order < 0)
                {
                    break;
                }

                tags[j + 1] = tags[j];
                j--;
            }

            tags[j + 1] = inserted;
        }

        consumed = lineEnd;
        if (lineEnd > 0 && line[lineEnd - 1] == '\n')
        {
            _lineFeedsInLine++;
        }

        sink.BeginPoint(Resolve(line, _measurement));
        foreach (ref readonly var tag in tags)
        {
            sink.AddTag(Resolve(line, tag.Key), Resolve(line, tag.Value));
        }

        DeliverFields(line, ref sink);
        sink.EndPoint(timestampNs);
        return LineResult.Point;
    }

    /// <summary>Delivers the fields of the line, in line order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DeliverFields<TSink>(ReadOnlySpan<byte> line, ref TSink sink)
        where TSink : ILineProtocolSink, allows ref struct
    {
        foreach (ref readonly var field in _fields.AsSpan(0, _fieldCount))
        {
            var key = Resolve(line, field.Key);
            if (field.Kind == FieldKind.String)
            {
                sink.AddStringField(key, Resolve(line, field.Text));
            }
            else
            {
                AddNonStringField(ref sink, key, field);
            }
        }
    }

    /// <summary>Delivers a float, integer, unsigned or boolean field (any kind but a string) from its parsed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddNonStringField<TSink>(ref TSink sink, ReadOnlySpan<byte> key, in FieldToken field)
        where TSink : ILineProtocolSink, allows ref struct
    {
        switch (field.Kind)
        {
            case FieldKind.Float:
                sink.AddFloatField(key, BitConverter.Int64BitsToDouble(field.Bits));
                break;
            case FieldKind.Integer:
                sink.AddIntegerField(key, field.Bits);
                break;
            case FieldKind.UInteger:
                sink.AddUIntegerField(key, unchecked((ulong)field.Bits));
                break;
            default:
                sink.AddBooleanField(key, field.Bits != 0);
                break;
        }
    }

    // The line ending has been matched, so the recovery from contentEnd stays within this line.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private LineResult FailDuplicateTag(ReadOnlySpan<byte> line, int keyOffset, int contentEnd, TokenRef key, out int consumed) =>
        Fail(line, keyOffset, contentEnd, $"duplicate tag key {Quote(Resolve(line, key))}", isFinal: true, out consumed);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int CompareKeys(ReadOnlySpan<byte> line, in TagToken left, in TagToken right)
    {
        if (left.KeyPrefix != right.KeyPrefix)
        {
            return left.KeyPrefix < right.KeyPrefix ? -1 : 1;
        }

        return Resolve(line, left.Key).SequenceCompareTo(Resolve(line, right.Key));
    }

    /// <summary>
    /// Records an error at <paramref name="errorOffset"/> and skips the line: from
    /// <paramref name="resumeOffset"/> (where scanning stopped) up to and including the next line
    /// feed, as the reference decoder does. Without a line feed in the data, the rest of the line
    /// is skipped by later calls.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private LineResult Fail(ReadOnlySpan<byte> line, int errorOffset, int resumeOffset, string message, bool isFinal, out int consumed)
    {
        var before = line[..Math.Min(errorOffset, line.Length)];
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        _error = new LineProtocolError(_lineNumber + before.Count((byte)'\n'), before.Length - lineStart + 1, message);

        resumeOffset = Math.Min(resumeOffset, line.Length);
        var lineFeed = line[resumeOffset..].IndexOf((byte)'\n');
        if (lineFeed >= 0)
        {
            consumed = resumeOffset + lineFeed + 1;
        }
        else
        {
            consumed = line.Length;
            _discardingLine = !isFinal;
        }

        _lineFeedsInLine = line[..consumed].Count((byte)'\n');
        return LineResult.Error;
    }

    private static bool IsDigit(byte value) => (uint)(value - '0') <= 9;

    private static string Describe(ReadOnlySpan<byte> line, int offset)
    {
        if ((uint)offset >= (uint)line.Length)
        {
            return "end of input";
        }

        var value = line[offset];
        return value switch
        {
            (byte)'\n' => "a line feed",
            (byte)'\r' => "a carriage return",
            (byte)'\t' => "a tab",
            (byte)' ' => "a space",
            < 0x20 or 0x7F => $"control character 0x{value:X2}",
            < 0x80 => $"'{(char)value}'",
            _ => $"byte 0x{value:X2}",
        };
    }

    private static string Quote(ReadOnlySpan<byte> text)
    {
        var shown = text.Length > MaxQuotedNameLength ? text[..MaxQuotedNameLength] : text;
        var decoded = Encoding.UTF8.GetString(shown);
        return text.Length > MaxQuotedNameLength ? $"\"{decoded}…\"" : $"\"{decoded}\"";
    }
}
