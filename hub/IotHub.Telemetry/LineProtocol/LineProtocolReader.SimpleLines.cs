using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// The fast path for simple lines: those of a measurement, tags and number or boolean fields,
/// without escapes, quotes, non-ASCII bytes, comments, repeated spaces or CR, ending in a line
/// feed. Such a line is classified 64 bytes at a time into a list of separator positions
/// (space, comma, equals sign, line feed; the first stage of simdjson-style parsers), and the
/// grammar is then checked on that list alone, one step per token instead of one per byte.
/// </summary>
/// <remarks>
/// The fast path accepts a subset of what <see cref="ParseLine{TSink}"/> accepts and decodes it
/// the same way; on anything else (including every malformed line) it gives up without side
/// effects on the sink, and the general parser reads the line from its start, so errors and
/// their positions come from one place.
/// </remarks>
public sealed partial class LineProtocolReader
{
    private const int InitialSeparatorCapacity = 256;

    // Separator positions of the line being read (see FindSeparators).
    private int[] _separators = [];

    // The order of the tags of the last simple line, by key: lines of one source usually repeat
    // their tag keys in the same order, so the next line's tags are checked against it first.
    private int[] _tagOrder = [];
    private int _tagOrderCount;

    /// <summary>Decodes <paramref name="line"/> if it is a simple line; <c>false</c> (nothing delivered) otherwise.</summary>
    /// <param name="line">The data from the start of the line on (column 1).</param>
    /// <param name="sink">Receives the point.</param>
    /// <param name="consumed">Bytes of the line including its line feed, when decoded.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryParseSimpleLine<TSink>(ReadOnlySpan<byte> line, ref TSink sink, out int consumed)
        where TSink : ILineProtocolSink, allows ref struct
    {
        consumed = 0;
        var count = FindSeparators(line);
        if (count <= 0 || line[0] == '#')
        {
            return false;
        }

        var separators = _separators.AsSpan(0, count);
        var last = count - 1;

        // measurement, then "," and tags or " ".
        var p = separators[0];
        var current = line[p];
        if (p == 0)
        {
            return false;
        }

        var measurementEnd = p;
        var k = 0;
        var tagCount = 0;
        var tags = _tags;
        if (current == ',')
        {
            do
            {
                // key "=" value, each not empty; the value ends at "," or " ".
                if (k + 2 >= last)
                {
                    return false;
                }

                var keyStart = p + 1;
                var equalsSign = separators[k + 1];
                p = separators[k + 2];
                k += 2;
                current = line[p];
                if (line[equalsSign] != '=' || equalsSign == keyStart || p == equalsSign + 1 || line.Length - keyStart < sizeof(ulong))
                {
                    return false;
                }

                if (tagCount == tags.Length)
                {
                    Grow(ref _tags);
                    tags = _tags;
                }

                var keyLength = equalsSign - keyStart;
                var keyPrefix = BinaryPrimitives.ReadUInt64BigEndian(line.Slice(keyStart, sizeof(ulong)));
                if (keyLength < sizeof(ulong))
                {
                    keyPrefix &= ~(ulong.MaxValue >> (8 * keyLength));
                }

                tags[tagCount++] = new TagToken(TokenRef.InLine(keyStart, keyLength), TokenRef.InLine(equalsSign + 1, p - equalsSign - 1), keyPrefix, keyStart);
            }
            while (current == ',');
        }

        if (current != ' ')
        {
            return false;
        }

        // Fields: key "=" value, separated by ",", ended by " " or the line feed.
        var fieldCount = 0;
        var fields = _fields;
        do
        {
            if (k + 2 > last)
            {
                return false;
            }

            var keyStart = p + 1;
            var equalsSign = separators[k + 1];
            p = separators[k + 2];
            k += 2;
            if (line[equalsSign] != '=' || equalsSign == keyStart || p == equalsSign + 1
                || !TryParseSimpleValue(line, equalsSign + 1, p, out var kind, out var bits))
            {
                return false;
            }

            if (fieldCount == fields.Length)
            {
                Grow(ref _fields);
                fields = _fields;
            }

            fields[fieldCount++] = new FieldToken(TokenRef.InLine(keyStart, equalsSign - keyStart), kind, bits, default);
            current = line[p];
        }
        while (current == ',');

        // The line feed, or " " timestamp and the line feed.
        var timestampNs = _defaultTimeNs;
        if (current != '\n')
        {
            if (current != ' ' || k + 1 != last || !TryParseSimpleTimestamp(line, p + 1, separators[last], out timestampNs))
            {
                return false;
            }
        }

        _tagCount = tagCount;
        _fieldCount = fieldCount;
        if (!TryOrderTags(line, tags.AsSpan(0, tagCount)))
        {
            // A duplicate tag key: the general parser reports it.
            return false;
        }

        sink.BeginPoint(line[..measurementEnd]);
        foreach (var index in _tagOrder.AsSpan(0, tagCount))
        {
            ref readonly var tag = ref tags[index];
            sink.AddTag(line.Slice(tag.Key.Start, tag.Key.Length), line.Slice(tag.Value.Start, tag.Value.Length));
        }

        DeliverFields(line, ref sink);
        sink.EndPoint(timestampNs);
        consumed = separators[last] + 1;
        _lineFeedsInLine = 1;
        return true;
    }

    /// <summary>
    /// Fills <see cref="_separators"/> with the positions of the separators of the line at the
    /// start of <paramref name="line"/>, up to and including its line feed.
    /// </summary>
    /// <returns>How many there are; -1 when a byte before the line feed needs the general parser, or the data holds no line feed.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindSeparators(ReadOnlySpan<byte> line)
    {
        const int blockLength = LineProtocolScanner.BlockLength;
        var positions = _separators;
        var count = 0;
        for (var blockStart = 0; blockStart < line.Length; blockStart += blockLength)
        {
            ulong separators, lineFeeds, specials;
            if (line.Length - blockStart >= blockLength)
            {
                LineProtocolScanner.ClassifyBlock(line, blockStart, out separators, out lineFeeds, out specials);
            }
            else
            {
                ClassifyTail(line, blockStart, out separators, out lineFeeds, out specials);
            }

            // Every bit up to and including the first line feed (all bits when there is none).
            var inLine = lineFeeds ^ (lineFeeds - 1);
            if ((specials & inLine) != 0)
            {
                return -1;
            }

            separators &= inLine;
            if (positions.Length - count < blockLength)
            {
                positions = GrowSeparators(count);
            }

            // Eight positions are written whether or not there are as many (the room is there):
            // one predictable branch instead of one mispredicted loop exit per block.
            var slots = positions.AsSpan(count, blockLength);
            var found = BitOperations.PopCount(separators);
            for (var j = 0; j < 8; j++)
            {
                slots[j] = blockStart + BitOperations.TrailingZeroCount(separators);
                separators &= separators - 1;
            }

            for (var j = 8; j < found; j++)
            {
                slots[j] = blockStart + BitOperations.TrailingZeroCount(separators);
                separators &= separators - 1;
            }

            count += found;
            if (lineFeeds != 0)
            {
                return count;
            }
        }

        return -1;
    }

    /// <summary>Classifies the last, partial block: from a copy when the data is shorter than a block, else from the block that ends with the data.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ClassifyTail(ReadOnlySpan<byte> line, int blockStart, out ulong separators, out ulong lineFeeds, out ulong specials)
    {
        const int blockLength = LineProtocolScanner.BlockLength;
        if (line.Length >= blockLength)
        {
            var shift = blockStart - (line.Length - blockLength);
            LineProtocolScanner.ClassifyBlock(line, line.Length - blockLength, out separators, out lineFeeds, out specials);
            separators >>= shift;
            lineFeeds >>= shift;
            specials >>= shift;
            return;
        }

        // Bytes past the data are zeros; the mask drops them.
        Span<byte> copy = stackalloc byte[blockLength];
        line.CopyTo(copy);
        LineProtocolScanner.ClassifyBlock(copy, 0, out separators, out lineFeeds, out specials);
        var valid = (1UL << line.Length) - 1;
        separators &= valid;
        lineFeeds &= valid;
        specials &= valid;
    }

    private int[] GrowSeparators(int used)
    {
        var larger = ArrayPool<int>.Shared.Rent(Math.Max(InitialSeparatorCapacity, _separators.Length * 2));
        _separators.AsSpan(0, used).CopyTo(larger);
        ReturnToPool(ref _separators);
        _separators = larger;
        return larger;
    }

    /// <summary>
    /// A number or boolean field value at <c>[start, end)</c> (not empty), decided exactly as
    /// <see cref="TryAddFieldValue"/> decides it; short integers and decimals are read in place.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseSimpleValue(ReadOnlySpan<byte> line, int start, int end, out FieldKind kind, out long bits)
    {
        var first = line[start];
        if (IsDigit(first) || first == '-' || first == '.')
        {
            switch (line[end - 1])
            {
                case (byte)'i':
                    kind = FieldKind.Integer;
                    return TryParseSimpleInteger(line, start, end - 1, out bits);
                case (byte)'u':
                    kind = FieldKind.UInteger;
                    if (first != '-' && LineProtocolNumbers.CanParseInPlace(start, end - 1))
                    {
                        var valid = LineProtocolNumbers.TryParseDigitsInPlace(line, start, end - 1, out var magnitude);
                        bits = unchecked((long)magnitude);
                        return valid;
                    }

                    var parsed = LineProtocolNumbers.TryParseUInt64(line[start..(end - 1)], out var unsigned) == NumberParseResult.Success;
                    bits = unchecked((long)unsigned);
                    return parsed;
                default:
                    kind = FieldKind.Float;
                    double number;
                    if (end < sizeof(ulong) || !LineProtocolNumbers.TryParseShortDecimal(line, start, end, out number))
                    {
                        // Longer values, exponents, and whatever is malformed.
                        if (LineProtocolNumbers.TryParseFloat(line[start..end], out number) != NumberParseResult.Success)
                        {
                            bits = 0;
                            return false;
                        }
                    }

                    bits = BitConverter.DoubleToInt64Bits(number);
                    return true;
            }
        }

        kind = FieldKind.Boolean;
        var isBoolean = LineProtocolNumbers.TryParseBoolean(line[start..end], out var boolean);
        bits = boolean ? 1 : 0;
        return isBoolean;
    }

    /// <summary>A signed integer (<c>[ "-" ] digits</c>) at <c>[start, end)</c>, in range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseSimpleInteger(ReadOnlySpan<byte> line, int start, int end, out long value)
    {
        var negative = start < end && line[start] == '-';
        var digitsStart = negative ? start + 1 : start;
        if (LineProtocolNumbers.CanParseInPlace(digitsStart, end))
        {
            // -(2^63) is the one magnitude that only fits when negative.
            var valid = LineProtocolNumbers.TryParseDigitsInPlace(line, digitsStart, end, out var magnitude);
            value = negative ? unchecked(-(long)magnitude) : unchecked((long)magnitude);
            return valid && magnitude <= (negative ? (ulong)long.MaxValue + 1 : long.MaxValue);
        }

        return LineProtocolNumbers.TryParseInt64(line[start..end], out value) == NumberParseResult.Success;
    }

    /// <summary>The timestamp at <c>[start, end)</c> in nanoseconds, in range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryParseSimpleTimestamp(ReadOnlySpan<byte> line, int start, int end, out long timestampNs)
    {
        timestampNs = 0;
        return start < end
            && TryParseSimpleInteger(line, start, end, out var timestamp)
            && _precision.TryToNanoseconds(timestamp, out timestampNs);
    }

    /// <summary>
    /// Puts the indexes of <paramref name="tags"/> in ordinal key order into <see cref="_tagOrder"/>:
    /// the last line's order when it still holds, else by insertion sort.
    /// </summary>
    /// <returns><c>false</c> when two keys are equal.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryOrderTags(ReadOnlySpan<byte> line, ReadOnlySpan<TagToken> tags)
    {
        if (_tagOrder.Length < tags.Length)
        {
            ReturnToPool(ref _tagOrder);
            _tagOrder = ArrayPool<int>.Shared.Rent(Math.Max(tags.Length, InitialTagCapacity));
            _tagOrderCount = 0;
        }

        var order = _tagOrder.AsSpan(0, tags.Length);
        if (_tagOrderCount == tags.Length)
        {
            // The last order, if the keys are strictly increasing in it (so also distinct).
            var holds = true;
            for (var k = 1; k < order.Length && holds; k++)
            {
                holds = CompareKeys(line, tags[order[k - 1]], tags[order[k]]) < 0;
            }

            if (holds)
            {
                return true;
            }
        }

        _tagOrderCount = 0;
        for (var k = 0; k < order.Length; k++)
        {
            var j = k - 1;
            while (j >= 0)
            {
                var comparison = CompareKeys(line, tags[order[j]], tags[k]);
                if (comparison == 0)
                {
                    return false;
                }

                if (comparison < 0)
                {
                    break;
                }

                order[j + 1] = order[j];
                j--;
            }

            order[j + 1] = k;
        }

        _tagOrderCount = tags.Length;
        return true;
    }
}
