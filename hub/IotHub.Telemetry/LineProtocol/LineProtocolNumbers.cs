using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// Number parsing exactly as the grammar allows (no signs other than a leading <c>-</c>, no
/// whitespace, no <c>inf</c>/<c>nan</c>, no hex, no digit separators), without allocation.
/// </summary>
internal static class LineProtocolNumbers
{
    // 10^19 > ulong.MaxValue / 10, so 19 decimal digits always fit in a ulong.
    private const int MaxDigitsWithoutOverflow = 19;

    // Powers of ten that are exact doubles; a mantissa below 2^53 divided by one of them is
    // correctly rounded (Clinger's fast path), so it equals what a full parser returns.
    // (A static array, not a ReadOnlySpan<double> property: that allocates on every access.)
    private static readonly double[] ExactPowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];

    /// <summary>intfield and timestamp: <c>[ "-" ] decimal_digits</c>, range of a long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NumberParseResult TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var negative = text.Length > 0 && text[0] == '-';
        var digits = negative ? text[1..] : text;
        var result = TryParseDigits(digits, out var magnitude);
        if (result != NumberParseResult.Success)
        {
            return result;
        }

        if (negative)
        {
            // -(2^63) is the one magnitude that only fits when negative.
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return NumberParseResult.OutOfRange;
            }

            value = unchecked(-(long)magnitude);
            return NumberParseResult.Success;
        }

        if (magnitude > long.MaxValue)
        {
            return NumberParseResult.OutOfRange;
        }

        value = (long)magnitude;
        return NumberParseResult.Success;
    }

    /// <summary>uintfield: <c>decimal_digits</c>, range of a ulong.</summary>
    public static NumberParseResult TryParseUInt64(ReadOnlySpan<byte> text, out ulong value) =>
        TryParseDigits(text, out value);

    /// <summary>
    /// floatfield: <c>[ "-" ] ( digits [ "." [ digits ] [ exp ] ] | digits exp | "." digits [ exp ] )</c>.
    /// A finite result only: a value beyond ±double.MaxValue is out of range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NumberParseResult TryParseFloat(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var position = 0;
        var negative = false;
        if (text.Length > 0 && text[0] == '-')
        {
            negative = true;
            position = 1;
        }

        ulong mantissa = 0;
        var integerStart = position;
        while (position < text.Length && IsDigit(text[position]))
        {
            mantissa = unchecked((mantissa * 10) + (uint)(text[position] - '0'));
            position++;
        }

        var integerDigits = position - integerStart;
        var fractionDigits = 0;
        if (position < text.Length && text[position] == '.')
        {
            position++;
            var fractionStart = position;
            while (position < text.Length && IsDigit(text[position]))
            {
                mantissa = unchecked((mantissa * 10) + (uint)(text[position] - '0'));
                position++;
            }

            fractionDigits = position - fractionStart;
        }

        if (integerDigits == 0 && fractionDigits == 0)
        {
            return NumberParseResult.Invalid;
        }

        var hasExponent = false;
        if (position < text.Length && (text[position] | 0x20) == 'e')
        {
            hasExponent = true;
            position++;
            if (position < text.Length && (text[position] == '+' || text[position] == '-'))
            {
                position++;
            }

            var exponentStart = position;
            while (position < text.Length && IsDigit(text[position]))
            {
                position++;
            }

            if (position == exponentStart)
            {
                return NumberParseResult.Invalid;
            }
        }

        if (position != text.Length)
        {
            return NumberParseResult.Invalid;
        }

        // Up to 15 digits the mantissa is below 10^15 < 2^53 and exact (no wrap-around above).
        if (!hasExponent && integerDigits + fractionDigits < ExactPowersOfTen.Length)
        {
            value = mantissa / ExactPowersOfTen[fractionDigits];
            if (negative)
            {
                value = -value;
            }

            return NumberParseResult.Success;
        }

        // The syntax is checked above, so the BCL parser only sees text of the grammar.
        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value))
        {
            return NumberParseResult.Invalid;
        }

        return double.IsFinite(value) ? NumberParseResult.Success : NumberParseResult.OutOfRange;
    }

    /// <summary>Most digits <see cref="TryParseDigitsInPlace"/> reads: 19 always fit in a ulong.</summary>
    public const int MaxDigitsInPlace = 19;

    // Eight ASCII zeros, and the bytes '.' of a word.
    private const ulong AsciiZeros = 0x3030303030303030;
    private const ulong AsciiDots = 0x2E2E2E2E2E2E2E2E;

    /// <summary>
    /// Parses the 1 to <see cref="MaxDigitsInPlace"/> decimal digits at
    /// <c>[<paramref name="start"/>, <paramref name="end"/>)</c> of <paramref name="line"/>
    /// eight at a time (SWAR), without a branch per digit. Every load is of the 8 bytes that
    /// end a group of digits, so the caller makes sure the first group's end is at least 8
    /// bytes into the line (<see cref="CanParseInPlace"/>).
    /// </summary>
    /// <returns><c>false</c> when a byte is not a digit.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseDigitsInPlace(ReadOnlySpan<byte> line, int start, int end, out ulong value)
    {
        var count = end - start;
        if (count <= sizeof(ulong))
        {
            return TryParseGroup(line, end, count, out value);
        }

        if (count <= 2 * sizeof(ulong))
        {
            var valid = TryParseGroup(line, end - sizeof(ulong), count - sizeof(ulong), out var high)
                & TryParseGroup(line, end, sizeof(ulong), out var low);
            value = (high * 100_000_000) + low;
            return valid;
        }

        var all = TryParseGroup(line, end - (2 * sizeof(ulong)), count - (2 * sizeof(ulong)), out var top)
            & TryParseGroup(line, end - sizeof(ulong), sizeof(ulong), out var middle)
            & TryParseGroup(line, end, sizeof(ulong), out var bottom);

        // At most 999 * 10^16 + (10^16 - 1) < 2^64.
        value = (top * 10_000_000_000_000_000) + (middle * 100_000_000) + bottom;
        return all;
    }

    /// <summary>
    /// The last <paramref name="count"/> (1 to 8) bytes of the little-endian <paramref name="word"/>
    /// (the 8 bytes that end with the digits, as loaded from memory) as decimal digits.
    /// </summary>
    /// <returns><c>false</c> when one of those bytes is not a digit.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseEightDigits(ulong word, int count, out ulong value)
    {
        var keep = ulong.MaxValue << (8 * (sizeof(ulong) - count));
        word = (word & keep) | (AsciiZeros & ~keep);
        value = EightDigits(word);
        return IsEightDigits(word);
    }

    /// <summary>Whether <see cref="TryParseDigitsInPlace"/> may read the digits at <c>[start, end)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CanParseInPlace(int start, int end)
    {
        var count = end - start;
        return count is > 0 and <= MaxDigitsInPlace && end - (((count - 1) / sizeof(ulong)) * sizeof(ulong)) >= sizeof(ulong);
    }

    /// <summary>
    /// A float field value of at most 8 bytes after its sign, <c>digits [ "." digits ]</c> with
    /// a digit somewhere, read in one 8-byte load; exact (Clinger's fast path: the mantissa is
    /// below 10^8 and the divisor an exact power of ten). The 8 bytes before
    /// <paramref name="end"/> must lie within the data <paramref name="line"/> starts (not checked).
    /// </summary>
    /// <returns><c>false</c> when the text is anything else (an exponent, a second dot, …): the general parser decides then.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseShortDecimal(ref byte line, int start, int end, out double value)
    {
        value = 0;
        var negative = Unsafe.Add(ref line, start) == '-';
        var count = end - start - (negative ? 1 : 0);
        if (count is < 1 or > sizeof(ulong))
        {
            return false;
        }

        // The value's bytes are the high `count` bytes of the little-endian word; the bytes
        // below them become leading zeros.
        var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref line, end - sizeof(ulong)));
        var keep = ulong.MaxValue << (8 * (sizeof(ulong) - count));
        word = (word & keep) | (AsciiZeros & ~keep);
        var fractionDigits = 0;
        var dots = word ^ AsciiDots;
        var dotBits = (dots - 0x0101010101010101) & ~dots & 0x8080808080808080;
        if (dotBits != 0)
        {
            // The lowest zero byte of `dots` is the first dot (false positives only occur
            // above a true zero byte). Close the gap: the bytes below move up one place.
            if (count == 1)
            {
                return false;
            }

            var dot = BitOperations.TrailingZeroCount(dotBits) >> 3;
            var below = (1UL << (8 * dot)) - 1;
            var aboveDot = ~((below << 8) | 0xFF);
            word = (word & aboveDot) | ((word & below) << 8) | '0';
            fractionDigits = sizeof(ulong) - 1 - dot;
        }

        if (!IsEightDigits(word))
        {
            return false;
        }

        value = EightDigits(word) / ExactPowersOfTen[fractionDigits];
        if (negative)
        {
            value = -value;
        }

        return true;
    }

    /// <summary>Whether <paramref name="text"/> is one of the ten boolean spellings.</summary>
    public static bool TryParseBoolean(ReadOnlySpan<byte> text, out bool value)
    {
        switch (text.Length)
        {
            case 1:
                value = text[0] is (byte)'t' or (byte)'T';
                return value || text[0] is (byte)'f' or (byte)'F';
            case 4:
                value = true;
                return text.SequenceEqual("true"u8) || text.SequenceEqual("True"u8) || text.SequenceEqual("TRUE"u8);
            case 5:
                value = false;
                return text.SequenceEqual("false"u8) || text.SequenceEqual("False"u8) || text.SequenceEqual("FALSE"u8);
            default:
                value = false;
                return false;
        }
    }

    private static bool IsDigit(byte value) => (uint)(value - '0') <= 9;

    /// <summary>The last <paramref name="count"/> (1 to 8) bytes before <paramref name="end"/> as digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseGroup(ReadOnlySpan<byte> line, int end, int count, out ulong value)
    {
        var word = BinaryPrimitives.ReadUInt64LittleEndian(line.Slice(end - sizeof(ulong), sizeof(ulong)));
        var keep = ulong.MaxValue << (8 * (sizeof(ulong) - count));
        word = (word & keep) | (AsciiZeros & ~keep);
        value = EightDigits(word);
        return IsEightDigits(word);
    }

    /// <summary>Whether all 8 bytes of <paramref name="word"/> are ASCII digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsEightDigits(ulong word) =>
        ((word & 0xF0F0F0F0F0F0F0F0) | (((word + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) == 0x3333333333333333;

    /// <summary>The value of 8 ASCII digits, the first in the lowest byte, in three multiplications.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigits(ulong word)
    {
        word = ((word & 0x0F0F0F0F0F0F0F0F) * 2561) >> 8;
        word = ((word & 0x00FF00FF00FF00FF) * 6553601) >> 16;
        return ((word & 0x0000FFFF0000FFFF) * 42949672960001) >> 32;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static NumberParseResult TryParseDigits(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return NumberParseResult.Invalid;
        }

        // Leading zeros are allowed ("0009223372036854775807i") and do not count towards overflow.
        var position = 0;
        while (position < digits.Length && digits[position] == '0')
        {
            position++;
        }

        ulong accumulator = 0;
        var significant = 0;
        for (; position < digits.Length; position++)
        {
            var digit = (uint)(digits[position] - '0');
            if (digit > 9)
            {
                return NumberParseResult.Invalid;
            }

            if (significant < MaxDigitsWithoutOverflow)
            {
                accumulator = (accumulator * 10) + digit;
            }
            else if (significant == MaxDigitsWithoutOverflow && accumulator <= (ulong.MaxValue - digit) / 10)
            {
                accumulator = (accumulator * 10) + digit;
            }
            else
            {
                // Keep validating the syntax: "99999999999999999999x" is invalid, not out of range.
                significant = int.MaxValue - 1;
            }

            significant++;
        }

        if (significant > MaxDigitsWithoutOverflow + 1)
        {
            return NumberParseResult.OutOfRange;
        }

        value = accumulator;
        return NumberParseResult.Success;
    }
}
