using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    /// <summary>Lines with more separators (about half as many fields and tags) take the general parser.</summary>
    private const int MaxSimpleSeparators = 1024;

    /// <summary>Room for <see cref="MaxSimpleSeparators"/> positions and one more block of them.</summary>
    private const int SeparatorCapacity = MaxSimpleSeparators + LineProtocolScanner.BlockLength;

    // Separator positions of the line being read (see FindSeparators); pooled, returned by Dispose.
    private int[] _separators = ArrayPool<int>.Shared.Rent(SeparatorCapacity);

    // A copy of data shorter than one block, for classifying it; pooled, returned by Dispose.
    private byte[] _scratchBlock = ArrayPool<byte>.Shared.Rent(LineProtocolScanner.BlockLength);

    // The order of the tags of the last simple line, by key: lines of one source usually repeat
    // their tag keys in the same order, so the next line's tags are checked against it first.
    private int[] _tagOrder = [];
    private int _tagOrderCount;

    /// <summary>Decodes <paramref name="line"/> if it is a simple line; <c>false</c> (nothing delivered) otherwise.</summary>
    /// <param name="line">The data from the start of the line on (column 1).</param>
    /// <param name="sink">Receives the point.</param>
    /// <param name="consumed">Bytes of the line including its line feed, when decoded.</param>
    private bool TryParseSimpleLine<TSink>(ReadOnlySpan<byte> line, ref TSink sink, out int consumed)
        where TSink : ILineProtocolSink, allows ref struct
    {
        consumed = 0;
        var count = FindSeparators(line);
        if (count <= 0 || line[0] == '#')
        {
            return false;
        }

        // Each tag and each field ends at a separator of its own, so the lists need no more
        // room than that: the walks below then make no calls (their values stay in registers).
        if (_tags.Length < count || _fields.Length < count)
        {
            EnsureTokenCapacity(count);
        }

        var last = count - 1;
        var k = ReadSimpleTags(line, last);
        if (k < 0)
        {
            return false;
        }

        k = ReadSimpleFields(line, k, last);
        if (k < 0)
        {
            return false;
        }

        // The line feed, or " " timestamp and the line feed.
        var separators = _separators.AsSpan(0, count);
        var fieldsEnd = separators[k];
        var timestampNs = _defaultTimeNs;
        if (line[fieldsEnd] != '\n'
            && (k + 1 != last || !TryParseSimpleTimestamp(line, fieldsEnd + 1, separators[last], out timestampNs)))
        {
            return false;
        }

        var tags = _tags.AsSpan(0, _tagCount);
        if (!TryOrderTags(line, tags))
        {
            // A duplicate tag key: the general parser reports it.
            return false;
        }

        // Every token lies within the line (its offsets come from FindSeparators), so the
        // spans below are made without bounds checks.
        ref var text = ref MemoryMarshal.GetReference(line);
        ref var tag = ref MemoryMarshal.GetReference(tags);
        sink.BeginPoint(MemoryMarshal.CreateReadOnlySpan(ref text, separators[0]));
        foreach (var index in _tagOrder.AsSpan(0, tags.Length))
        {
            ref readonly var ordered = ref Unsafe.Add(ref tag, index);
            sink.AddTag(InLine(ref text, ordered.Key), InLine(ref text, ordered.Value));
        }

        DeliverSimpleFields(line, ref sink);
        sink.EndPoint(timestampNs);
        consumed = separators[last] + 1;
        _lineFeedsInLine = 1;
        return true;
    }

    /// <summary>The fields of a simple line (all numbers or booleans), in line order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DeliverSimpleFields<TSink>(ReadOnlySpan<byte> line, ref TSink sink)
        where TSink : ILineProtocolSink, allows ref struct
    {
        ref var text = ref MemoryMarshal.GetReference(line);
        foreach (ref readonly var field in _fields.AsSpan(0, _fieldCount))
        {
            AddNonStringField(ref sink, InLine(ref text, field.Key), field);
        }
    }

    /// <summary>The bytes of <paramref name="token"/>, which lies in the simple line that starts at <paramref name="text"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> InLine(ref byte text, TokenRef token) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref text, token.Start), token.Length);

    /// <summary>
    /// The measurement and the tags of a simple line, from its separators (<see cref="FindSeparators"/>;
    /// <paramref name="last"/> is the index of the line feed's). Sets <see cref="_tagCount"/>.
    /// </summary>
    /// <returns>The index of the separator (a space) that ends the tags; -1 when the line is not simple.</returns>
    /// <remarks>
    /// A method of its own so that its loop gets the registers to itself. It reads the line and
    /// the positions without bounds checks: every position FindSeparators wrote is the offset of
    /// a byte of <paramref name="line"/>, and indexes stay at or below <paramref name="last"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReadSimpleTags(ReadOnlySpan<byte> line, int last)
    {
        ref var text = ref MemoryMarshal.GetReference(line);
        ref var positions = ref MemoryMarshal.GetArrayDataReference(_separators);

        // measurement, then "," and tags or " ".
        var p = positions;
        if (p == 0)
        {
            return -1;
        }

        var current = Unsafe.Add(ref text, p);
        var k = 0;
        var tagCount = 0;
        var tags = _tags;
        while (current == ',')
        {
            // key "=" value, each not empty; the value ends at "," or " ".
            if (k + 2 >= last)
            {
                return -1;
            }

            var keyStart = p + 1;
            var equalsSign = Unsafe.Add(ref positions, k + 1);
            p = Unsafe.Add(ref positions, k + 2);
            k += 2;
            current = Unsafe.Add(ref text, p);
            if (Unsafe.Add(ref text, equalsSign) != '=' || equalsSign == keyStart || p == equalsSign + 1 || line.Length - keyStart < sizeof(ulong))
            {
                return -1;
            }

            // The first 8 bytes of the key, big-endian, zero padded (see KeyPrefix).
            var keyLength = equalsSign - keyStart;
            var keyPrefix = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref text, keyStart)));
            if (keyLength < sizeof(ulong))
            {
                keyPrefix &= ~(ulong.MaxValue >> (8 * keyLength));
            }

            tags[tagCount++] = new TagToken(TokenRef.InLine(keyStart, keyLength), TokenRef.InLine(equalsSign + 1, p - equalsSign - 1), keyPrefix, keyStart);
        }

        _tagCount = tagCount;
        return current == ' ' ? k : -1;
    }

    /// <summary>
    /// The fields of a simple line after the separator <paramref name="k"/> (the space after the
    /// tags), as <see cref="ReadSimpleTags"/> reads the tags. Sets <see cref="_fieldCount"/>.
    /// </summary>
    /// <returns>The index of the separator (a space or the line feed) that ends the fields; -1 when the line is not simple.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReadSimpleFields(ReadOnlySpan<byte> line, int k, int last)
    {
        ref var text = ref MemoryMarshal.GetReference(line);
        ref var positions = ref MemoryMarshal.GetArrayDataReference(_separators);
        var p = Unsafe.Add(ref positions, k);
        var fieldCount = 0;
        var fields = _fields;
        var others = false;
        byte current;
        do
        {
            // key "=" value, each not empty; the value ends at ",", " " or the line feed.
            if (k + 2 > last)
            {
                return -1;
            }

            var keyStart = p + 1;
            var equalsSign = Unsafe.Add(ref positions, k + 1);
            p = Unsafe.Add(ref positions, k + 2);
            k += 2;
            if (Unsafe.Add(ref text, equalsSign) != '=' || equalsSign == keyStart || p == equalsSign + 1)
            {
                return -1;
            }

            // Values TryParseSimpleValue cannot read in place wait for TryParseOtherValues.
            fields[fieldCount++] = TryParseSimpleValue(ref text, equalsSign + 1, p, out var kind, out var bits)
                ? new FieldToken(TokenRef.InLine(keyStart, equalsSign - keyStart), kind, bits, default)
                : new FieldToken(TokenRef.InLine(keyStart, equalsSign - keyStart), FieldKind.String, 0, TokenRef.InLine(equalsSign + 1, p - equalsSign - 1));
            others |= kind == FieldKind.String;
            current = Unsafe.Add(ref text, p);
        }
        while (current == ',');

        if (others && !TryParseOtherValues(line, fields.AsSpan(0, fieldCount)))
        {
            return -1;
        }

        _fieldCount = fieldCount;
        return current is (byte)' ' or (byte)'\n' ? k : -1;
    }

    /// <summary>
    /// Fills <see cref="_separators"/> with the positions of the separators of the line at the
    /// start of <paramref name="line"/>, up to and including its line feed.
    /// </summary>
    /// <returns>How many there are; -1 when a byte before the line feed needs the general parser, the data holds no line feed, or the line has more than <see cref="MaxSimpleSeparators"/> separators.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int FindSeparators(ReadOnlySpan<byte> line)
    {
        const int blockLength = LineProtocolScanner.BlockLength;
        var positions = _separators.AsSpan();
        if (positions.Length < SeparatorCapacity)
        {
            // Disposed: the general parser rents what it needs.
            return -1;
        }

        var count = 0;
        for (var blockStart = 0; blockStart < line.Length; blockStart += blockLength)
        {
            // The last, partial block: the block that ends with the data, shifted, or a copy of
            // data shorter than a block (bytes past the data masked off).
            var source = line;
            var offset = blockStart;
            var shift = 0;
            var valid = ulong.MaxValue;
            if (line.Length - blockStart < blockLength)
            {
                if (line.Length >= blockLength)
                {
                    offset = line.Length - blockLength;
                    shift = blockStart - offset;
                }
                else
                {
                    source = CopyToScratchBlock(line);
                    offset = 0;
                    valid = (1UL << line.Length) - 1;
                }
            }

            var (separators, lineFeeds, specials) = LineProtocolScanner.ClassifyBlock(source, offset);
            lineFeeds = (lineFeeds >> shift) & valid;

            // Every bit up to and including the first line feed (all bits when there is none).
            var inLine = lineFeeds ^ (lineFeeds - 1);
            separators = (separators >> shift) & valid & inLine;
            if ((((specials >> shift) & valid & inLine) != 0) || count > MaxSimpleSeparators)
            {
                return -1;
            }

            // Eight positions are written whether or not there are as many (the room is there,
            // and a position past the last is never read): no mispredicted loop exit for the
            // usual block of up to eight separators.
            ref var slots = ref MemoryMarshal.GetReference(positions.Slice(count, blockLength));
            var found = BitOperations.PopCount(separators);
            slots = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            Unsafe.Add(ref slots, 1) = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            Unsafe.Add(ref slots, 2) = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            Unsafe.Add(ref slots, 3) = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            Unsafe.Add(ref slots, 4) = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            Unsafe.Add(ref slots, 5) = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            Unsafe.Add(ref slots, 6) = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            Unsafe.Add(ref slots, 7) = blockStart + BitOperations.TrailingZeroCount(separators);
            separators &= separators - 1;
            for (var j = 8; j < found; j++)
            {
                Unsafe.Add(ref slots, j) = blockStart + BitOperations.TrailingZeroCount(separators);
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

    /// <summary>Makes room for <paramref name="count"/> tags and as many fields.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnsureTokenCapacity(int count)
    {
        while (_tags.Length < count)
        {
            Grow(ref _tags);
        }

        while (_fields.Length < count)
        {
            Grow(ref _fields);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] CopyToScratchBlock(ReadOnlySpan<byte> line)
    {
        line.CopyTo(_scratchBlock);
        return _scratchBlock;
    }

    /// <summary>
    /// A number value at <c>[start, end)</c> (not empty) of the commonest forms, integers of up
    /// to 8 digits and decimals of up to 8 bytes, read in place, exactly as
    /// <see cref="TryAddFieldValue"/> reads them.
    /// </summary>
    /// <returns><c>false</c> (and <see cref="FieldKind.String"/>) for any other value, valid or not: <see cref="TryParseOtherValues"/> decides those.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseSimpleValue(ref byte text, int start, int end, out FieldKind kind, out long bits)
    {
        if (end > sizeof(ulong))
        {
            // "digits" "i", up to 8 digits: the 8 bytes that end before the "i" are in the line.
            var digitCount = end - 1 - start;
            if (Unsafe.Add(ref text, end - 1) == 'i' && (uint)(digitCount - 1) < sizeof(ulong))
            {
                var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref text, end - 1 - sizeof(ulong)));
                if (LineProtocolNumbers.TryParseEightDigits(word, digitCount, out var magnitude))
                {
                    kind = FieldKind.Integer;
                    bits = (long)magnitude;
                    return true;
                }
            }
            else if (LineProtocolNumbers.TryParseShortDecimal(ref text, start, end, out var number))
            {
                kind = FieldKind.Float;
                bits = BitConverter.DoubleToInt64Bits(number);
                return true;
            }
        }

        kind = FieldKind.String;
        bits = 0;
        return false;
    }

    /// <summary>
    /// Parses the values <see cref="TryParseSimpleValue"/> left (fields of kind
    /// <see cref="FieldKind.String"/>, whose text is the raw value: a simple line has no strings).
    /// </summary>
    /// <returns><c>false</c> when one is not a valid number or boolean.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryParseOtherValues(ReadOnlySpan<byte> line, Span<FieldToken> fields)
    {
        foreach (ref var field in fields)
        {
            if (field.Kind == FieldKind.String && !TryParseOtherValue(line, field.Text.Start, field.Text.Start + field.Text.Length, field.Key, ref field))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Any number or boolean value at <c>[start, end)</c>, as the general parser decides it.</summary>
    private static bool TryParseOtherValue(ReadOnlySpan<byte> line, int start, int end, TokenRef key, ref FieldToken field)
    {
        var text = line[start..end];
        var first = text[0];
        bool valid;
        FieldKind kind;
        long bits;
        if (IsDigit(first) || first == '-' || first == '.')
        {
            switch (text[^1])
            {
                case (byte)'i':
                    kind = FieldKind.Integer;
                    valid = TryParseSimpleInteger(line, start, end - 1, out bits);
                    break;
                case (byte)'u':
                    kind = FieldKind.UInteger;
                    valid = LineProtocolNumbers.TryParseUInt64(text[..^1], out var unsigned) == NumberParseResult.Success;
                    bits = unchecked((long)unsigned);
                    break;
                default:
                    kind = FieldKind.Float;
                    valid = LineProtocolNumbers.TryParseFloat(text, out var number) == NumberParseResult.Success;
                    bits = BitConverter.DoubleToInt64Bits(number);
                    break;
            }
        }
        else
        {
            kind = FieldKind.Boolean;
            valid = LineProtocolNumbers.TryParseBoolean(text, out var boolean);
            bits = boolean ? 1 : 0;
        }

        field = new FieldToken(key, kind, bits, default);
        return valid;
    }

    /// <summary>A signed integer (<c>[ "-" ] digits</c>) at <c>[start, end)</c>, in range.</summary>
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
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryParseSimpleTimestamp(ReadOnlySpan<byte> line, int start, int end, out long timestampNs)
    {
        timestampNs = 0;
        if (start >= end)
        {
            return false;
        }

        long timestamp;
        if (line[start] != '-' && LineProtocolNumbers.CanParseInPlace(start, end))
        {
            // The usual case, a positive timestamp.
            if (!LineProtocolNumbers.TryParseDigitsInPlace(line, start, end, out var magnitude) || magnitude > long.MaxValue)
            {
                return false;
            }

            timestamp = (long)magnitude;
        }
        else if (!TryParseSimpleInteger(line, start, end, out timestamp))
        {
            return false;
        }

        if (_precision == LineProtocolPrecision.Nanosecond)
        {
            timestampNs = timestamp;
            return true;
        }

        return _precision.TryToNanoseconds(timestamp, out timestampNs);
    }

    /// <summary>
    /// Puts the indexes of <paramref name="tags"/> in ordinal key order into <see cref="_tagOrder"/>:
    /// the last line's order when it still holds, else by insertion sort.
    /// </summary>
    /// <returns><c>false</c> when two keys are equal.</returns>
    private bool TryOrderTags(ReadOnlySpan<byte> line, ReadOnlySpan<TagToken> tags)
    {
        if (_tagOrder.Length < tags.Length)
        {
            ReturnToPool(ref _tagOrder);
            _tagOrder = ArrayPool<int>.Shared.Rent(Math.Max(tags.Length, InitialTagCapacity));
            _tagOrderCount = 0;
        }

        var order = _tagOrder.AsSpan(0, tags.Length);
        if (_tagOrderCount == tags.Length && HoldsLastTagOrder(line, tags, order))
        {
            return true;
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

    /// <summary>
    /// Whether the keys of <paramref name="tags"/> are strictly increasing (so also distinct) in
    /// <paramref name="order"/>, the order of the last line's tags (as many, so every index is
    /// one of <paramref name="tags"/>: read without bounds checks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HoldsLastTagOrder(ReadOnlySpan<byte> line, ReadOnlySpan<TagToken> tags, ReadOnlySpan<int> order)
    {
        if (order.Length < 2)
        {
            return true;
        }

        ref var tag = ref MemoryMarshal.GetReference(tags);
        ref var index = ref MemoryMarshal.GetReference(order);
        ref var previous = ref Unsafe.Add(ref tag, index);
        for (var k = 1; k < order.Length; k++)
        {
            ref var next = ref Unsafe.Add(ref tag, Unsafe.Add(ref index, k));
            if (previous.KeyPrefix >= next.KeyPrefix
                && (previous.KeyPrefix != next.KeyPrefix || CompareKeys(line, previous, next) >= 0))
            {
                return false;
            }

            previous = ref next;
        }

        return true;
    }
}
