using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// The sealed block format: the points of one series (sorted, distinct timestamps) in one byte
/// array, lossless. Layout: a 3-byte header (version; field kind, value encoding and compression
/// in one byte; timestamp scale), the point count and the payload length as varints, then the
/// payload (Brotli-compressed when that is smaller):
/// <list type="bullet">
/// <item>timestamps, less a base the caller keeps (the block's day), divided by the largest power
/// of ten dividing all of them (city sensors report on whole seconds or minutes), then the first,
/// the first delta and the deltas of deltas as zig-zag varints: a regular cadence is a run of
/// zero bytes, which the compressor folds away;</item>
/// <item>floats as decimal mantissas when a power of ten makes the values of the block exact
/// integers (sensor readings have few decimals; the same idea as VictoriaMetrics'), the few that
/// are not (-0.0, NaN) kept raw beside them, else the XOR of consecutive IEEE bits, byte planes
/// transposed;</item>
/// <item>integers, booleans and unsigned integers (as their bits) and decimal mantissas as the
/// first value and the zig-zag deltas in fixed width, one byte plane after another (the high
/// planes of a slowly changing signal are near constant and compress away);</item>
/// <item>strings as length-prefixed UTF-8.</item>
/// </list>
/// Decoding gives back every value bit for bit (a float that is not an exact decimal, -0.0,
/// infinities and NaN take the XOR path).
/// </summary>
internal static class BlockCodec
{
    private const byte Version = 1;
    private const byte DecimalFloats = 0;
    private const byte XorFloats = 1;
    private const byte IntegerDeltas = 2;
    private const byte Utf8Strings = 3;
    private const byte Uncompressed = 0;
    private const byte Brotli = 1;
    private const int HeaderBytes = 3;

    // Brotli quality 5: on the city's day blocks it gave 0.744 B/point at ~0.2 us/point, quality 9
    // 0.769 at 1.7 us, quality 11 0.724 at 3.1 us (see benchmarks/RESULTS-store.md). Blocks are
    // small, so a 64 KiB window holds any of them.
    private const int BrotliQuality = 5;
    private const int BrotliWindow = 16;

    // 2^53: mantissas up to this are exact as doubles.
    private const double MaxMantissa = 9_007_199_254_740_992d;

    private static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

    private static readonly long[] IntegerPowersOfTen = [1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L, 1_000_000_000L, 10_000_000_000L, 100_000_000_000L, 1_000_000_000_000L, 10_000_000_000_000L, 100_000_000_000_000L, 1_000_000_000_000_000L, 10_000_000_000_000_000L, 100_000_000_000_000_000L, 1_000_000_000_000_000_000L];

    /// <summary>
    /// Encodes the first <see cref="BlockPoints.Count"/> points; timestamps must be strictly
    /// increasing. <paramref name="baseNs"/> (the block's day) must be passed to <see cref="Decode"/> again.
    /// </summary>
    public static byte[] Encode(BlockPoints points, long baseNs = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points.Count, 1);
        var count = points.Count;
        // Scratch buffers come from the shared pool: only the block itself is allocated (a
        // compaction encodes millions of points, and its garbage would otherwise reach gen2).
        using var writer = new ByteWriter((count * 4) + 32);
        var timestamps = ArrayPool<long>.Shared.Rent(count);
        byte[]? compressed = null;
        try
        {
            for (var i = 0; i < count; i++)
            {
                timestamps[i] = unchecked(points.Timestamps[i] - baseNs);
            }

            var scale = TimestampScale(timestamps, count);
            WriteTimestamps(writer, timestamps, count, IntegerPowersOfTen[scale]);
            byte encoding;
            switch (points.Kind)
            {
                case FieldKind.Float:
                    // The timestamps are written: their scratch array takes the mantissas.
                    encoding = WriteFloats(writer, points.Bits, count, timestamps);
                    break;
                case FieldKind.String:
                    encoding = Utf8Strings;
                    for (var i = 0; i < count; i++)
                    {
                        var text = points.Strings![i];
                        writer.WriteVarint((ulong)Encoding.UTF8.GetByteCount(text));
                        writer.WriteUtf8(text);
                    }

                    break;
                default:
                    encoding = IntegerDeltas;
                    WriteDeltas(writer, points.Bits, count);
                    break;
            }

            var payload = writer.Written;
            compressed = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(payload.Length));
            var useBrotli = BrotliEncoder.TryCompress(payload, compressed, out var compressedLength, BrotliQuality, BrotliWindow)
                && compressedLength < payload.Length;
            var body = useBrotli ? compressed.AsSpan(0, compressedLength) : payload;
            using var header = new ByteWriter(HeaderBytes + 20 + body.Length);
            header.WriteByte(Version);
            header.WriteByte((byte)((byte)points.Kind | (encoding << 3) | ((useBrotli ? Brotli : Uncompressed) << 5)));
            header.WriteByte((byte)scale);
            header.WriteVarint((ulong)count);
            header.WriteVarint((ulong)payload.Length);
            header.WriteBytes(body);
            return header.Written.ToArray();
        }
        finally
        {
            ArrayPool<long>.Shared.Return(timestamps);
            if (compressed is not null)
            {
                ArrayPool<byte>.Shared.Return(compressed);
            }
        }
    }

    /// <summary>The number of points in a block, from its header.</summary>
    public static int CountOf(ReadOnlySpan<byte> block)
    {
        var position = HeaderBytes;
        return (int)ReadVarint(block, ref position);
    }

    /// <summary>Decodes a block into <paramref name="points"/> (replacing what it held); <paramref name="baseNs"/> as given to <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a block of this format.</exception>
    public static void Decode(ReadOnlySpan<byte> block, BlockPoints points, long baseNs = 0)
    {
        if (block.Length < HeaderBytes + 2 || block[0] != Version)
        {
            throw new InvalidDataException("not a sealed block of format version 1");
        }

        var kind = (FieldKind)(block[1] & 0x07);
        var encoding = (byte)((block[1] >> 3) & 0x03);
        var compression = (byte)(block[1] >> 5);
        var scale = block[2];
        var position = HeaderBytes;
        var count = (int)ReadVarint(block, ref position);
        var payloadLength = (int)ReadVarint(block, ref position);
        if (scale >= IntegerPowersOfTen.Length || count < 1 || payloadLength < 0)
        {
            throw new InvalidDataException("a sealed block header is out of range");
        }

        ReadOnlySpan<byte> payload;
        byte[]? decompressed = null;
        if (compression == Brotli)
        {
            decompressed = ArrayPool<byte>.Shared.Rent(payloadLength);
            if (!BrotliDecoder.TryDecompress(block[position..], decompressed, out var written) || written != payloadLength)
            {
                ArrayPool<byte>.Shared.Return(decompressed);
                throw new InvalidDataException("a sealed block's payload does not decompress");
            }

            payload = decompressed.AsSpan(0, payloadLength);
        }
        else
        {
            payload = block.Slice(position, payloadLength);
        }

        try
        {
            points.Reset(kind, count);
            var at = 0;
            ReadTimestamps(payload, ref at, points.Timestamps, count, IntegerPowersOfTen[scale], baseNs);
            switch (encoding)
            {
                case DecimalFloats:
                    ReadDecimals(payload, ref at, points.Bits, count);
                    break;
                case XorFloats:
                    ReadXor(payload, ref at, points.Bits, count);
                    break;
                case IntegerDeltas:
                    ReadDeltas(payload, ref at, points.Bits, count);
                    break;
                case Utf8Strings:
                    for (var i = 0; i < count; i++)
                    {
                        var length = (int)ReadVarint(payload, ref at);
                        points.Strings![i] = Encoding.UTF8.GetString(payload.Slice(at, length));
                        at += length;
                    }

                    break;
                default:
                    throw new InvalidDataException($"unknown value encoding {encoding} in a sealed block");
            }

            points.Count = count;
        }
        finally
        {
            if (decompressed is not null)
            {
                ArrayPool<byte>.Shared.Return(decompressed);
            }
        }
    }

    private static int TimestampScale(long[] timestamps, int count)
    {
        var scale = IntegerPowersOfTen.Length - 1;
        for (var i = 0; i < count && scale > 0; i++)
        {
            while (scale > 0 && timestamps[i] % IntegerPowersOfTen[scale] != 0)
            {
                scale--;
            }
        }

        return scale;
    }

    private static void WriteTimestamps(ByteWriter writer, long[] timestamps, int count, long divisor)
    {
        long previous = 0;
        long previousDelta = 0;
        for (var i = 0; i < count; i++)
        {
            var ts = timestamps[i] / divisor;
            var delta = unchecked(ts - previous);
            writer.WriteVarint(ZigZag(i < 2 ? delta : unchecked(delta - previousDelta)));
            if (i == 0)
            {
                delta = 0;
            }

            previous = ts;
            previousDelta = delta;
        }
    }

    private static void ReadTimestamps(ReadOnlySpan<byte> payload, ref int at, long[] timestamps, int count, long divisor, long baseNs)
    {
        long previous = 0;
        long previousDelta = 0;
        for (var i = 0; i < count; i++)
        {
            var stored = UnZigZag(ReadVarint(payload, ref at));
            var delta = i < 2 ? stored : unchecked(stored + previousDelta);
            previous = unchecked(previous + delta);
            timestamps[i] = unchecked((previous * divisor) + baseNs);
            previousDelta = i == 0 ? 0 : delta;
        }
    }

    /// <summary>Writes floats as decimal mantissas or XORed bits; <paramref name="mantissas"/> is scratch for at least <paramref name="count"/> values.</summary>
    private static byte WriteFloats(ByteWriter writer, long[] bits, int count, long[] mantissas)
    {
        var exceptions = new List<int>();
        if (TryDecimal(bits, count, mantissas, exceptions, out var exponent))
        {
            writer.WriteByte((byte)exponent);
            WriteDeltas(writer, mantissas, count);

            // Values no power of ten makes exact (-0.0, NaN, a stray non-decimal) follow as raw bits.
            writer.WriteVarint((ulong)exceptions.Count);
            var lastIndex = 0;
            Span<byte> raw = stackalloc byte[8];
            foreach (var index in exceptions)
            {
                writer.WriteVarint((ulong)(index - lastIndex));
                lastIndex = index;
                BinaryPrimitives.WriteInt64LittleEndian(raw, bits[index]);
                writer.WriteBytes(raw);
            }
            return DecimalFloats;
        }

        // XOR with the previous value, then byte plane by byte plane (high bytes repeat most).
        var start = writer.Reserve(count * 8);
        var span = writer.Span(start, count * 8);
        long previous = 0;
        for (var i = 0; i < count; i++)
        {
            var x = bits[i] ^ previous;
            previous = bits[i];
            for (var b = 0; b < 8; b++)
            {
                span[(b * count) + i] = (byte)(x >> (56 - (b * 8)));
            }
        }

        return XorFloats;
    }

    private static void ReadXor(ReadOnlySpan<byte> payload, ref int at, long[] bits, int count)
    {
        var span = payload.Slice(at, count * 8);
        long previous = 0;
        for (var i = 0; i < count; i++)
        {
            long x = 0;
            for (var b = 0; b < 8; b++)
            {
                x = (x << 8) | span[(b * count) + i];
            }

            previous ^= x;
            bits[i] = previous;
        }

        at += count * 8;
    }

    /// <summary>
    /// Finds the smallest power of ten making every value an exact integer mantissa, but for a few
    /// exceptions (at most an eighth of the block; they keep the previous mantissa and are stored raw).
    /// </summary>
    private static bool TryDecimal(long[] bits, int count, long[] mantissas, List<int> exceptions, out int exponent)
    {
        exponent = 0;
        for (var i = 0; i < count; i++)
        {
            var value = BitConverter.Int64BitsToDouble(bits[i]);
            if (TryMantissa(value, bits[i], exponent, out mantissas[i]))
            {
                continue;
            }

            // This value needs more decimals: find its own exponent, then start over with it.
            var own = -1;
            for (var e = exponent + 1; e < PowersOfTen.Length; e++)
            {
                if (TryMantissa(value, bits[i], e, out _))
                {
                    own = e;
                    break;
                }
            }

            if (own >= 0)
            {
                exponent = own;
                exceptions.Clear();
                i = -1;
                continue;
            }

            exceptions.Add(i);
            mantissas[i] = i > 0 ? mantissas[i - 1] : 0;
            if (exceptions.Count > (count / 8) + 1)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryMantissa(double value, long bits, int exponent, out long mantissa)
    {
        // The check decodes the integer mantissa as Decode does, so -0.0 (mantissa 0 gives +0.0) fails.
        var scaled = Math.Round(value * PowersOfTen[exponent]);
        mantissa = Math.Abs(scaled) <= MaxMantissa ? (long)scaled : 0;
        return BitConverter.DoubleToInt64Bits(mantissa / PowersOfTen[exponent]) == bits;
    }

    private static void ReadDecimals(ReadOnlySpan<byte> payload, ref int at, long[] bits, int count)
    {
        var exponent = payload[at++];
        if (exponent >= PowersOfTen.Length)
        {
            throw new InvalidDataException("a sealed block's decimal exponent is out of range");
        }

        ReadDeltas(payload, ref at, bits, count);
        var divisor = PowersOfTen[exponent];
        for (var i = 0; i < count; i++)
        {
            bits[i] = BitConverter.DoubleToInt64Bits(bits[i] / divisor);
        }

        var exceptions = (int)ReadVarint(payload, ref at);
        var index = 0;
        for (var e = 0; e < exceptions; e++)
        {
            index += (int)ReadVarint(payload, ref at);
            if (index >= count || at + 8 > payload.Length)
            {
                throw new InvalidDataException("a sealed block's exception is out of range");
            }

            bits[index] = BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(at, 8));
            at += 8;
        }
    }

    private static void WriteDeltas(ByteWriter writer, long[] values, int count)
    {
        writer.WriteVarint(ZigZag(values[0]));
        ulong all = 0;
        for (var i = 1; i < count; i++)
        {
            all |= ZigZag(unchecked(values[i] - values[i - 1]));
        }

        var width = 0;
        while (width < 8 && (all >> (width * 8)) != 0)
        {
            width++;
        }

        writer.WriteByte((byte)width);
        var n = count - 1;
        var span = writer.Span(writer.Reserve(n * width), n * width);
        for (var i = 0; i < n; i++)
        {
            var z = ZigZag(unchecked(values[i + 1] - values[i]));
            for (var b = 0; b < width; b++)
            {
                span[(b * n) + i] = (byte)(z >> (8 * (width - 1 - b)));
            }
        }
    }

    private static void ReadDeltas(ReadOnlySpan<byte> payload, ref int at, long[] values, int count)
    {
        var previous = UnZigZag(ReadVarint(payload, ref at));
        values[0] = previous;
        int width = payload[at++];
        var n = count - 1;
        if (width > 8 || at + (n * width) > payload.Length)
        {
            throw new InvalidDataException("a sealed block's deltas are out of range");
        }

        var span = payload.Slice(at, n * width);
        for (var i = 0; i < n; i++)
        {
            ulong z = 0;
            for (var b = 0; b < width; b++)
            {
                z = (z << 8) | span[(b * n) + i];
            }

            previous = unchecked(previous + UnZigZag(z));
            values[i + 1] = previous;
        }

        at += n * width;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong result = 0;
        var shift = 0;
        while (true)
        {
            if (position >= data.Length || shift > 63)
            {
                throw new InvalidDataException("a sealed block ends inside a number");
            }

            var b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }

            shift += 7;
        }
    }

    /// <summary>A growable byte buffer rented from the shared pool (returned on dispose).</summary>
    private sealed class ByteWriter(int capacity) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, capacity));
        private int _length;

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

        public void WriteByte(byte value)
        {
            Ensure(1);
            _buffer[_length++] = value;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void WriteVarint(ulong value)
        {
            Ensure(10);
            while (value >= 0x80)
            {
                _buffer[_length++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _buffer[_length++] = (byte)value;
        }

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(_length));
            _length += bytes.Length;
        }

        public void WriteUtf8(string text)
        {
            Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
            _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        }

        public int Reserve(int bytes)
        {
            Ensure(bytes);
            var start = _length;
            _length += bytes;
            return start;
        }

        public Span<byte> Span(int start, int length) => _buffer.AsSpan(start, length);

        private void Ensure(int more)
        {
            if (_length + more > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }
    }
}

/// <summary>
/// The points of one series as columns: timestamps, and values as 64-bit patterns (a float's
/// IEEE bits, an integer, a boolean as 0/1, an unsigned integer's bits) or strings. Reused
/// across blocks; the arrays grow and may be longer than <see cref="Count"/>.
/// </summary>
internal sealed class BlockPoints
{
    public FieldKind Kind { get; private set; }

    public int Count { get; set; }

    public long[] Timestamps { get; private set; } = new long[64];

    public long[] Bits { get; private set; } = new long[64];

    public string[]? Strings { get; private set; }

    /// <summary>Empties the instance for <paramref name="capacity"/> points of <paramref name="kind"/>.</summary>
    public void Reset(FieldKind kind, int capacity)
    {
        Kind = kind;
        Count = 0;
        if (Timestamps.Length < capacity)
        {
            var size = Math.Max(capacity, Timestamps.Length * 2);
            Timestamps = new long[size];
            Bits = new long[size];
            if (Strings is not null)
            {
                Strings = new string[size];
            }
        }

        if (kind == FieldKind.String && (Strings is null || Strings.Length < Timestamps.Length))
        {
            Strings = new string[Timestamps.Length];
        }
    }

    /// <summary>Empties the instance and lets go of the strings it held (before it is pooled).</summary>
    public void Release()
    {
        if (Strings is not null)
        {
            Array.Clear(Strings);
        }

        Count = 0;
    }

    /// <summary>Appends a point (the caller keeps timestamps increasing).</summary>
    public void Add(long timestampNs, in FieldValue value)
    {
        if (Kind == FieldKind.String)
        {
            AddString(timestampNs, value.AsString);
        }
        else
        {
            AddBits(timestampNs, Kind switch
            {
                FieldKind.Float => BitConverter.DoubleToInt64Bits(value.AsFloat),
                FieldKind.Boolean => value.AsBoolean ? 1 : 0,
                _ => value.AsInteger,
            });
        }
    }

    /// <summary>Appends a numeric point as its 64-bit pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddBits(long timestampNs, long bits)
    {
        if (Count == Timestamps.Length)
        {
            Grow();
        }

        Timestamps[Count] = timestampNs;
        Bits[Count++] = bits;
    }

    /// <summary>Appends a string point.</summary>
    public void AddString(long timestampNs, string value)
    {
        if (Count == Timestamps.Length)
        {
            Grow();
        }

        Timestamps[Count] = timestampNs;
        Strings![Count++] = value;
    }

    /// <summary>Puts the points in time order (they were added in another order; timestamps are distinct).</summary>
    public void SortByTime()
    {
        if (Kind == FieldKind.String)
        {
            Array.Sort(Timestamps, Strings, 0, Count);
        }
        else
        {
            Array.Sort(Timestamps, Bits, 0, Count);
        }
    }

    /// <summary>Appends point <paramref name="index"/> of <paramref name="other"/> (same kind).</summary>
    public void AddFrom(BlockPoints other, int index)
    {
        if (Kind == FieldKind.String)
        {
            AddString(other.Timestamps[index], other.Strings![index]);
        }
        else
        {
            AddBits(other.Timestamps[index], other.Bits[index]);
        }
    }

    /// <summary>
    /// Sets this instance to the points of both, in time order; on equal timestamps the point of
    /// <paramref name="newer"/> wins (a second write replaces the first).
    /// </summary>
    public void Merge(BlockPoints older, BlockPoints newer)
    {
        Reset(newer.Kind, older.Count + newer.Count);
        int i = 0, j = 0;
        while (i < older.Count || j < newer.Count)
        {
            if (j == newer.Count || (i < older.Count && older.Timestamps[i] < newer.Timestamps[j]))
            {
                AddFrom(older, i++);
            }
            else
            {
                if (i < older.Count && older.Timestamps[i] == newer.Timestamps[j])
                {
                    i++;
                }

                AddFrom(newer, j++);
            }
        }
    }

    /// <summary>The value of point <paramref name="index"/>.</summary>
    public FieldValue ValueAt(int index) => Kind switch
    {
        FieldKind.Float => FieldValue.FromFloat(BitConverter.Int64BitsToDouble(Bits[index])),
        FieldKind.Integer => FieldValue.FromInteger(Bits[index]),
        FieldKind.UInteger => FieldValue.FromUInteger(unchecked((ulong)Bits[index])),
        FieldKind.Boolean => FieldValue.FromBoolean(Bits[index] != 0),
        _ => FieldValue.FromString(Strings![index]),
    };

    /// <summary>The value of point <paramref name="index"/> as a number (booleans 0/1); not for strings.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NumberAt(int index) => Kind switch
    {
        FieldKind.Float => BitConverter.Int64BitsToDouble(Bits[index]),
        FieldKind.UInteger => unchecked((ulong)Bits[index]),
        _ => Bits[index],
    };

    private void Grow()
    {
        var size = Timestamps.Length * 2;
        var timestamps = Timestamps;
        var bits = Bits;
        Array.Resize(ref timestamps, size);
        Array.Resize(ref bits, size);
        Timestamps = timestamps;
        Bits = bits;
        if (Strings is { } strings)
        {
            Array.Resize(ref strings, size);
            Strings = strings;
        }
    }
}
