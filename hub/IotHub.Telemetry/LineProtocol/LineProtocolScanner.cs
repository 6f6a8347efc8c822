using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// Vectorized search for the end of a name: 32 or 16 bytes per step instead of one table
/// lookup per byte, which is where most of the decoding time of a typical line goes.
/// </summary>
internal static class LineProtocolScanner
{
    /// <summary>Bytes <see cref="ClassifyBlock"/> classifies at once.</summary>
    public const int BlockLength = 64;

    /// <summary>
    /// Classifies the <see cref="BlockLength"/> bytes at <paramref name="offset"/> of
    /// <paramref name="block"/> (which must hold them all): bit <c>i</c> of each mask describes
    /// byte <c>offset + i</c>.
    /// </summary>
    /// <param name="block">The data.</param>
    /// <param name="offset">Start of the block.</param>
    /// <returns>
    /// <c>Separators</c>: space, comma, equals sign and line feed, the bytes that end a token of a
    /// simple line; <c>LineFeeds</c>; <c>Specials</c>: bytes only the general parser handles,
    /// control characters other than the line feed (CR, tab), DEL, non-ASCII bytes, backslashes
    /// and double quotes.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (ulong Separators, ulong LineFeeds, ulong Specials) ClassifyBlock(ReadOnlySpan<byte> block, int offset)
    {
        // Slice checks the bounds once; the loads below stay within the slice.
        ref var origin = ref MemoryMarshal.GetReference(block.Slice(offset, BlockLength));
        if (Vector512.IsHardwareAccelerated)
        {
            // Each comparison goes to a mask register and out as a word: ORing the words is
            // cheaper than ORing the comparison vectors (which the JIT materializes first).
            var bytes = Vector512.LoadUnsafe(ref origin);
            var lineFeeds512 = Vector512.Equals(bytes, Vector512.Create((byte)'\n')).ExtractMostSignificantBits();
            var separators512 = lineFeeds512
                | Vector512.Equals(bytes, Vector512.Create((byte)' ')).ExtractMostSignificantBits()
                | Vector512.Equals(bytes, Vector512.Create((byte)',')).ExtractMostSignificantBits()
                | Vector512.Equals(bytes, Vector512.Create((byte)'=')).ExtractMostSignificantBits();
            var specials512 = (Vector512.LessThan(bytes, Vector512.Create((byte)' ')).ExtractMostSignificantBits()
                | Vector512.GreaterThanOrEqual(bytes, Vector512.Create((byte)0x7F)).ExtractMostSignificantBits()
                | Vector512.Equals(bytes, Vector512.Create((byte)'\\')).ExtractMostSignificantBits()
                | Vector512.Equals(bytes, Vector512.Create((byte)'"')).ExtractMostSignificantBits()) & ~lineFeeds512;
            return (separators512, lineFeeds512, specials512);
        }

        ulong separators = 0;
        ulong lineFeeds = 0;
        ulong specials = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (var half = 0; half < BlockLength; half += Vector256<byte>.Count)
            {
                var bytes = Vector256.LoadUnsafe(ref origin, (nuint)half);
                var feeds = Vector256.Equals(bytes, Vector256.Create((byte)'\n'));
                lineFeeds |= (ulong)feeds.ExtractMostSignificantBits() << half;
                separators |= (ulong)(feeds
                    | Vector256.Equals(bytes, Vector256.Create((byte)' '))
                    | Vector256.Equals(bytes, Vector256.Create((byte)','))
                    | Vector256.Equals(bytes, Vector256.Create((byte)'='))).ExtractMostSignificantBits() << half;
                specials |= (ulong)(Vector256.LessThan(bytes, Vector256.Create((byte)' '))
                    | Vector256.GreaterThanOrEqual(bytes, Vector256.Create((byte)0x7F))
                    | Vector256.Equals(bytes, Vector256.Create((byte)'\\'))
                    | Vector256.Equals(bytes, Vector256.Create((byte)'"'))).ExtractMostSignificantBits() << half;
            }
        }
        else
        {
            for (var quarter = 0; quarter < BlockLength; quarter += Vector128<byte>.Count)
            {
                var bytes = Vector128.LoadUnsafe(ref origin, (nuint)quarter);
                var feeds = Vector128.Equals(bytes, Vector128.Create((byte)'\n'));
                lineFeeds |= (ulong)feeds.ExtractMostSignificantBits() << quarter;
                separators |= (ulong)(feeds
                    | Vector128.Equals(bytes, Vector128.Create((byte)' '))
                    | Vector128.Equals(bytes, Vector128.Create((byte)','))
                    | Vector128.Equals(bytes, Vector128.Create((byte)'='))).ExtractMostSignificantBits() << quarter;
                specials |= (ulong)(Vector128.LessThan(bytes, Vector128.Create((byte)' '))
                    | Vector128.GreaterThanOrEqual(bytes, Vector128.Create((byte)0x7F))
                    | Vector128.Equals(bytes, Vector128.Create((byte)'\\'))
                    | Vector128.Equals(bytes, Vector128.Create((byte)'"'))).ExtractMostSignificantBits() << quarter;
            }
        }

        return (separators, lineFeeds, specials & ~lineFeeds);
    }

    /// <summary>
    /// The offset of the first byte at or after <paramref name="start"/> that is a space or
    /// control character (&lt;= 0x20), DEL or non-ASCII (&gt;= 0x7F), a comma, a backslash, or,
    /// when <paramref name="stopAtEqualsSign"/>, an equals sign; <c>line.Length</c> when there is none.
    /// These are exactly <see cref="LineProtocolCharClasses.KeyStop"/> (or
    /// <see cref="LineProtocolCharClasses.MeasurementStop"/> without the equals sign).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IndexOfNameStop(ReadOnlySpan<byte> line, int start, bool stopAtEqualsSign)
    {
        ref var origin = ref MemoryMarshal.GetReference(line);
        var i = start;
        if (Vector256.IsHardwareAccelerated)
        {
            while (i <= line.Length - Vector256<byte>.Count)
            {
                var block = Vector256.LoadUnsafe(ref origin, (nuint)i);
                var stops = Vector256.LessThanOrEqual(block, Vector256.Create((byte)' '))
                    | Vector256.GreaterThanOrEqual(block, Vector256.Create((byte)0x7F))
                    | Vector256.Equals(block, Vector256.Create((byte)','))
                    | Vector256.Equals(block, Vector256.Create((byte)'\\'));
                if (stopAtEqualsSign)
                {
                    stops |= Vector256.Equals(block, Vector256.Create((byte)'='));
                }

                var mask = stops.ExtractMostSignificantBits();
                if (mask != 0)
                {
                    return i + BitOperations.TrailingZeroCount(mask);
                }

                i += Vector256<byte>.Count;
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            while (i <= line.Length - Vector128<byte>.Count)
            {
                var block = Vector128.LoadUnsafe(ref origin, (nuint)i);
                var stops = Vector128.LessThanOrEqual(block, Vector128.Create((byte)' '))
                    | Vector128.GreaterThanOrEqual(block, Vector128.Create((byte)0x7F))
                    | Vector128.Equals(block, Vector128.Create((byte)','))
                    | Vector128.Equals(block, Vector128.Create((byte)'\\'));
                if (stopAtEqualsSign)
                {
                    stops |= Vector128.Equals(block, Vector128.Create((byte)'='));
                }

                var mask = stops.ExtractMostSignificantBits();
                if (mask != 0)
                {
                    return i + BitOperations.TrailingZeroCount(mask);
                }

                i += Vector128<byte>.Count;
            }
        }

        // The last few bytes of the buffer, byte by byte.
        var stopClasses = stopAtEqualsSign ? LineProtocolCharClasses.KeyStop : LineProtocolCharClasses.MeasurementStop;
        ReadOnlySpan<byte> classes = LineProtocolCharClasses.Table;
        while ((uint)i < (uint)line.Length && (classes[line[i]] & stopClasses) == 0)
        {
            i++;
        }

        return i;
    }
}
