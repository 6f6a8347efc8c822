using System.Buffers;
using System.Text;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Telemetry.Tests.LineProtocol;

public sealed class LineProtocolWriterTests
{
    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-0.64, "-0.64")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(123456.0, "123456")]
    [InlineData(1234567.0, "1.234567e+06")]
    [InlineData(6632243.0, "6.632243e+06")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(0.0, "0")]
    [InlineData(-0.0, "-0")]
    [InlineData(1e21, "1e+21")]
    public void FormatFloat_Value_ShortestRoundTripInGoLayout(double value, string expected)
    {
        Span<byte> buffer = stackalloc byte[64];

        var written = LineProtocolWriter.FormatFloat(value, buffer);

        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
        Assert.Equal(value, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ToLineProtocol_PointWithEveryEscape_WritesExpectedLine()
    {
        // Arrange
        var point = new Point(
            "wea ther,x=1",
            [new("b key", "v,=al\\ue"), new("a", "1")],
            [new("f=1", FieldValue.FromFloat(2.5)), new("s", FieldValue.FromString("q\"b\\n\nr\rt\t")), new("i", FieldValue.FromInteger(-3)), new("u", FieldValue.FromUInteger(4)), new("b", FieldValue.FromBoolean(false))],
            1_500_000_000);

        // Act
        var line = LineProtocolWriter.ToLineProtocol(point, LineProtocolPrecision.Second);

        // Assert
        Assert.Equal("wea\\ ther\\,x=1,a=1,b\\ key=v\\,\\=al\\ue f\\=1=2.5,s=\"q\\\"b\\\\n\\nr\\rt\\t\",i=-3i,u=4u,b=false 1", line);
    }

    [Fact]
    public void Write_RandomPoints_RoundTripThroughReader()
    {
        // Arrange
        var random = new Random(20240611);
        var points = new List<Point>();
        for (var i = 0; i < 500; i++)
        {
            points.Add(RandomPoint(random));
        }

        var buffer = new ArrayBufferWriter<byte>();

        // Act
        LineProtocolWriter.Write(buffer, points);
        var decoded = LineProtocolParser.Parse(buffer.WrittenSpan, LineProtocolPrecision.Nanosecond, 0);

        // Assert
        PointAssert.Equal(points, decoded);
    }

    [Theory]
    [InlineData("#m", "k", "v")]
    [InlineData("m\n", "k", "v")]
    [InlineData("m", "k\\", "v")]
    [InlineData("m", "k", "")]
    [InlineData("m", "k", "v\t")]
    public void Write_UnrepresentableName_Throws(string measurement, string tagKey, string tagValue)
    {
        var point = new Point(measurement, [new(tagKey, tagValue)], [new("f", FieldValue.FromInteger(1))], 0);

        Assert.Throws<ArgumentException>(() => LineProtocolWriter.ToLineProtocol(point));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Write_NonFiniteFloat_Throws(double value)
    {
        var point = new Point("m", [], [new("f", FieldValue.FromFloat(value))], 0);

        Assert.Throws<ArgumentException>(() => LineProtocolWriter.ToLineProtocol(point));
    }

    private static Point RandomPoint(Random random)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var tagCount = random.Next(0, 5);
        while (tags.Count < tagCount)
        {
            tags[RandomName(random)] = RandomName(random);
        }

        var fields = new List<KeyValuePair<string, FieldValue>>();
        var fieldCount = random.Next(1, 6);
        for (var i = 0; i < fieldCount; i++)
        {
            FieldValue value = random.Next(5) switch
            {
                0 => FieldValue.FromFloat(BitConverter.Int64BitsToDouble(random.NextInt64()) is var bits && double.IsFinite(bits) ? bits : random.NextDouble() * 1e6),
                1 => FieldValue.FromInteger(random.NextInt64(long.MinValue, long.MaxValue)),
                2 => FieldValue.FromUInteger((ulong)random.NextInt64() * 2),
                3 => FieldValue.FromBoolean(random.Next(2) == 1),
                _ => FieldValue.FromString(RandomText(random)),
            };
            fields.Add(new(RandomName(random), value));
        }

        var measurement = RandomName(random);
        if (measurement[0] == '#')
        {
            measurement = "m" + measurement;
        }

        return new Point(measurement, tags, fields, random.NextInt64(long.MinValue, long.MaxValue));
    }

    private static string RandomName(Random random)
    {
        const string Alphabet = "abcXYZ019 ,=\\\"#_-é€😀";
        var builder = new StringBuilder();
        var length = random.Next(1, 10);
        while (builder.Length < length)
        {
            var index = random.Next(Alphabet.Length);
            if (char.IsHighSurrogate(Alphabet[index]))
            {
                builder.Append(Alphabet, index, 2);
            }
            else if (!char.IsLowSurrogate(Alphabet[index]))
            {
                builder.Append(Alphabet[index]);
            }
        }

        // A trailing backslash cannot be expressed; the writer rejects it (tested above).
        return builder[^1] == '\\' ? builder.Append('x').ToString() : builder.ToString();
    }

    private static string RandomText(Random random)
    {
        const string Alphabet = "ab \"\\\n\r\t,= é😀";
        var builder = new StringBuilder();
        var length = random.Next(0, 20);
        while (builder.Length < length)
        {
            var index = random.Next(Alphabet.Length);
            if (char.IsHighSurrogate(Alphabet[index]))
            {
                builder.Append(Alphabet, index, 2);
            }
            else if (!char.IsLowSurrogate(Alphabet[index]))
            {
                builder.Append(Alphabet[index]);
            }
        }

        return builder.ToString();
    }
}
