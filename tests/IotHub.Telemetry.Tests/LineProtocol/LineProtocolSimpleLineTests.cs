using System.Buffers;
using System.Globalization;
using System.Text;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Telemetry.Tests.LineProtocol;

/// <summary>
/// The reader's fast path for simple lines (LF-terminated, no escapes, quotes, non-ASCII or CR)
/// against its general parser. A line ending in CR LF always takes the general parser, and CR LF
/// means the same as LF, so each input is read both ways and must decode to the same points,
/// bit for bit, and fail at the same line and column.
/// </summary>
public sealed class LineProtocolSimpleLineTests
{
    private const int BlockLength = 64;

    public static TheoryData<string> ValueEdgeCases() => new()
    {
        // Integers: every digit count around the 8-digit groups, the range limits, malformed.
        "0i", "7i", "-7i", "12345678i", "123456789i", "1234567890123456i", "12345678901234567i",
        "9223372036854775807i", "-9223372036854775808i", "9223372036854775808i", "-9223372036854775809i",
        "0009223372036854775807i", "99999999999999999999i", "-i", "i", "1.5i", "1-2i", "+1i", "1ei", "١i",
        "99999999i", "00000001i", "1234567ai", "a2345678i", "-1234567i", "1234:678i", "1234/678i",
        // Unsigned integers.
        "0u", "42u", "18446744073709551615u", "18446744073709551616u", "9999999999999999999u", "-1u", "u", ".u",
        // Floats: short decimals (one 8-byte load), longer ones, exponents, malformed.
        "0", "-0", "0.5", ".5", "-.5", "5.", "-5.", ".", "-", "-.", "1.2.3", "12345678", "1234567.8", ".1234567",
        "-12345678", "123456789", "0.1", "0.2", "0.3", "99.99", "1.7976931348623157", "0.000000001",
        "123456789012345", "1234567890123456", "0.1000000000000000055511151231257827", "9007199254740993",
        "1e5", "1E5", "1.5e-3", "-1.5E+3", "1e", "1e+", ".e1", "1e400", "-1e400", "4.9e-324", "1e-400", "1..2", "1.2e3.4",
        // Booleans and what is not one.
        "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE", "tru", "yes", "tRUE", "x",
    };

    [Theory]
    [MemberData(nameof(ValueEdgeCases))]
    public void Read_FieldValueEdgeCase_SimpleLineMatchesGeneralParser(string value)
    {
        // Short lines (values within 8 bytes of the line start), and lines where the value ends
        // right before, at and after a 64-byte block boundary.
        var lines = new List<string> { $"m f={value}", $"m f={value} 1", $"m,t=1 a=1i,f={value},b=2i 1700000000000000000" };
        foreach (var padding in Enumerable.Range(BlockLength - 12, 16))
        {
            var prefix = "m,tag=" + new string('v', Math.Max(1, padding - value.Length - 11)) + " ";
            lines.Add($"{prefix}f={value}");
            lines.Add($"{prefix}f={value} 12");
        }

        AssertSameBothWays(lines);
    }

    public static TheoryData<string> TimestampEdgeCases() => new()
    {
        "0", "1", "-1", "12345678", "123456789", "1234567890123456", "12345678901234567", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "00000000000000000001", "-", "1-2", "--1", "1a", "+1", "1 ", " 1",
        "-0", "0000000000000000000", "9999999999999999999", "18446744073709551615", "9223372036854775", "9223372036854776",
        "9223372036854", "9223372036855", "1451606400000000000", "145160640000000000a", "14516064:0000000000",
    };

    [Theory]
    [MemberData(nameof(TimestampEdgeCases))]
    public void Read_TimestampEdgeCase_SimpleLineMatchesGeneralParser(string timestamp)
    {
        var lines = new[] { $"m f=1 {timestamp}", $"m,a=b c=1i,d=2.5 {timestamp}", $"m,host=h{new string('x', 40)} usage=12i {timestamp}" };
        foreach (var precision in new[] { LineProtocolPrecision.Nanosecond, LineProtocolPrecision.Microsecond, LineProtocolPrecision.Millisecond, LineProtocolPrecision.Second })
        {
            AssertSameBothWays(lines, precision);
        }
    }

    [Fact]
    public void Read_SpecialByteAtEveryOffsetAroundBlockEdges_SimpleLineMatchesGeneralParser()
    {
        // A TSBS-like line with one byte replaced by a byte only the general parser handles
        // (escapes, quotes, non-ASCII, control characters) or by a separator, at every offset.
        const string line = "cpu,hostname=host_7,region=eu-west-1,datacenter=eu-west-1a,rack=6 usage_user=58i,usage_system=2.5,usage_idle=24u,up=t 1451606400000000000";
        string[] replacements = ["\\", "\\ ", "\\,", "\\=", "\"", "\"x\"", "é", "\t", "\u007f", "\u0001", " ", ",", "=", "  ", "#"];
        var lines = new List<string>();
        foreach (var replacement in replacements)
        {
            for (var offset = 0; offset < line.Length; offset++)
            {
                lines.Add(line[..offset] + replacement + line[(offset + 1)..]);
            }
        }

        AssertSameBothWays(lines);
    }

    [Fact]
    public void Read_EveryDeletionAndSeparatorInsertion_SimpleLineMatchesGeneralParser()
    {
        // One-byte tokens: deleting or inserting a byte anywhere empties or splits a token.
        const string line = "m,a=1,b=2 c=3i,d=4,e=t 5";
        var lines = new List<string>();
        for (var offset = 0; offset <= line.Length; offset++)
        {
            if (offset < line.Length)
            {
                lines.Add(line.Remove(offset, 1));
            }

            foreach (var inserted in new[] { " ", ",", "=", "1", "-", "." })
            {
                lines.Add(line.Insert(offset, inserted));
            }
        }

        AssertSameBothWays(lines);
    }

    [Fact]
    public void Read_LinesOfEveryLengthAcrossTwoBlocks_SimpleLineMatchesGeneralParser()
    {
        // Line feeds at every offset of the first three blocks, so the tail classification
        // (short data, and the last block of longer data) sees them all.
        var lines = new List<string>();
        for (var length = 6; length < 3 * BlockLength; length++)
        {
            var head = $"m,k=v f=1i {new string('1', Math.Min(19, length))}";
            lines.Add(length <= head.Length ? head[..length] : $"m,k={new string('v', length - 10)} f=1i");
        }

        AssertSameBothWays(lines);
        foreach (var line in lines)
        {
            // Each line alone, with and without its line feed at the very end of the data.
            AssertSameBothWays([line]);
        }
    }

    [Fact]
    public void Read_TagOrderChangesBetweenLines_TagsSortedAndDuplicatesRejected()
    {
        string[] lines =
        [
            "m,b=2,a=1,c=3 f=1i 1",
            "m,b=2,a=1,c=3 f=1i 2",
            "m,c=3,a=1,b=2 f=1i 3",
            "m,a=1,b=2,c=3 f=1i 4",
            "m,a=1,b=2,d=3 f=1i 5",
            "m,a=1,b=2,b=3 f=1i 6",
            "m,a=1,b=2,c=3 f=1i 7",
            "m,service_version=1,service_environment=test,service=19 f=1i 8",
            "m,service_version=1,service_environment=test,service=19 f=1i 9",
            "m,service_version=1,service_version=2,service=19 f=1i 10",
            "m,z=1 f=1i 11",
            "m f=1i 12",

            // The last order holds, then breaks, where the first 8 bytes of the keys are equal.
            "m,service_version=1,service_environment=test,service=19 f=1i 13",
            "m,service_version=1,service_environment=test,service_a=19 f=1i 14",
            "m,service_version=1,service_environment=test,service_z=19 f=1i 15",
        ];

        var outcomes = AssertSameBothWays(lines);

        Assert.Equal(["a", "b", "c"], outcomes[2].Point!.Tags.Select(tag => tag.Key));
        Assert.Equal(["a", "b", "d"], outcomes[4].Point!.Tags.Select(tag => tag.Key));
        Assert.Equal("duplicate tag key \"b\"", outcomes[5].Error!.Value.Message);
        Assert.Equal(["service", "service_environment", "service_version"], outcomes[8].Point!.Tags.Select(tag => tag.Key));
        Assert.NotNull(outcomes[9].Error);
        Assert.Equal(["service_a", "service_environment", "service_version"], outcomes[13].Point!.Tags.Select(tag => tag.Key));
        Assert.Equal(["service_environment", "service_version", "service_z"], outcomes[14].Point!.Tags.Select(tag => tag.Key));
    }

    [Fact]
    public void Read_RandomDecimals_BitExactWithDoubleParse()
    {
        // Decimals of 1 to 20 significant digits, with and without exponents: the fast path's
        // in-place reading and the general parser must both round as double.Parse does.
        var random = new Random(7);
        var values = new List<string>();
        for (var i = 0; i < 3000; i++)
        {
            var digits = string.Concat(Enumerable.Range(0, random.Next(1, 21)).Select(_ => (char)('0' + random.Next(10))));
            var dot = random.Next(digits.Length + 1);
            var text = (random.Next(4) == 0 ? "-" : string.Empty) + digits[..dot] + "." + digits[dot..];
            if (random.Next(3) == 0)
            {
                text += "e" + random.Next(-30, 31).ToString(CultureInfo.InvariantCulture);
            }

            values.Add(text);
        }

        var body = string.Concat(values.Select((value, index) => $"m,t=x f={value} {index}\n"));
        var outcomes = LineProtocolTestReader.ReadAll(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(values.Count, outcomes.Count);
        for (var i = 0; i < values.Count; i++)
        {
            var expected = double.Parse(values[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(outcomes[i].Point is not null, $"{values[i]}: {outcomes[i].Error}");
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(outcomes[i].Point!.Fields[0].Value.AsFloat));
        }
    }

    /// <summary>Reads the lines as one body ending each in LF, then in CR LF; asserts the same outcomes; returns them.</summary>
    private static List<DecodedLine> AssertSameBothWays(IReadOnlyList<string> lines, LineProtocolPrecision precision = LineProtocolPrecision.Nanosecond)
    {
        var withLineFeeds = Read(string.Concat(lines.Select(line => line + "\n")), precision);
        var withCarriageReturns = Read(string.Concat(lines.Select(line => line + "\r\n")), precision);
        Assert.Equal(withCarriageReturns.Count, withLineFeeds.Count);
        for (var i = 0; i < withLineFeeds.Count; i++)
        {
            var fast = withLineFeeds[i];
            var general = withCarriageReturns[i];
            if (general.Point is { } expected)
            {
                Assert.True(fast.Point is not null, $"\"{lines.ElementAtOrDefault(i)}\": the general parser decodes it, the fast path failed with {fast.Error}");
                PointAssert.Equal(expected, fast.Point!);
                for (var f = 0; f < expected.Fields.Count; f++)
                {
                    if (expected.Fields[f].Value.Kind == FieldKind.Float)
                    {
                        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Fields[f].Value.AsFloat), BitConverter.DoubleToInt64Bits(fast.Point!.Fields[f].Value.AsFloat));
                    }
                }
            }
            else
            {
                Assert.True(fast.Error is not null, $"outcome {i}: the general parser fails with {general.Error}, the fast path decoded a point");
                Assert.Equal((general.Error!.Value.Line, general.Error.Value.Column), (fast.Error!.Value.Line, fast.Error.Value.Column));
            }
        }

        return withLineFeeds;
    }

    private static List<DecodedLine> Read(string text, LineProtocolPrecision precision) =>
        LineProtocolTestReader.ReadAll(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)), precision, defaultTimeNs: 1_000_000_000_123);
}
