using System.Globalization;
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
