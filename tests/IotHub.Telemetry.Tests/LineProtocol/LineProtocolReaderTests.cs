using System.Buffers;
using System.Text;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Telemetry.Tests.LineProtocol;

public sealed class LineProtocolReaderTests
{
    private const string TsbsLine =
        "cpu,hostname=host_0,region=eu-west-1,datacenter=eu-west-1a,rack=6,os=Ubuntu16.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test " +
        "usage_user=58i,usage_system=2i,usage_idle=24i,usage_nice=61i,usage_iowait=22i,usage_irq=63i,usage_softirq=6i,usage_steal=44i,usage_guest=80i,usage_guest_nice=38i 1451606400000000000\n";

    public static TheoryData<string> RepresentativeInputs() => new()
    {
        "cpu,host=server\\ 01,region=eu-west value=0.64,count=12i,ok=t,name=\"hall \\\"A\\\"\" 1451606400000000000\n",
        "# heating\r\n\r\n  boiler,zone=1 temp=71.5,on=TRUE\nboiler,zone=2 note=\"multi\nline\",flow=3u 17\n",
        "m,b=2,a=1 f=1\nbad line here\nm,a=1,a=2 f=1\nm f=1 99999999999999999999\nm\\,x f\\=y=-1.5e3 -5\n",
        "river,gauge=g\u00fc1 level=3.25 1700000000000000000\r\nriver level=.5e1,alarm=F",
        "m s=\"unterminated\nm f=1\n",
        "m f=1 12 extra\n m  f=2i  3  \nm f=1\\",
    };

    [Theory]
    [MemberData(nameof(RepresentativeInputs))]
    public void ReadNext_EveryTwoSegmentSplit_SameOutcomesAsContiguous(string text)
    {
        // Arrange
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = LineProtocolTestReader.ReadAll(new ReadOnlySequence<byte>(bytes), defaultTimeNs: 42);
        Assert.NotEmpty(expected);

        for (var split = 0; split <= bytes.Length; split++)
        {
            // Act
            var sequence = BufferSegment.Sequence(bytes.AsMemory(0, split), bytes.AsMemory(split));
            var actual = LineProtocolTestReader.ReadAll(sequence, defaultTimeNs: 42);

            // Assert
            DecodedLine.AssertEqual(expected, actual, $"split at {split}");
        }
    }

    [Theory]
    [MemberData(nameof(RepresentativeInputs))]
    public void ReadNext_EveryTruncatedPrefix_NeedsMoreDataWithoutLosingLines(string text)
    {
        // Arrange
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = LineProtocolTestReader.ReadAll(new ReadOnlySequence<byte>(bytes), defaultTimeNs: 42);

        for (var length = 0; length <= bytes.Length; length++)
        {
            using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, 42);
            var collector = new PointCollector();
            var lines = new List<DecodedLine>();

            // Act: the prefix arrives first (not final), then the unconsumed rest with the remainder.
            var consumed = LineProtocolTestReader.ReadAvailable(reader, new ReadOnlySequence<byte>(bytes, 0, length), isFinalBlock: false, collector, lines);
            var afterPrefix = lines.Count;
            LineProtocolTestReader.ReadAvailable(reader, new ReadOnlySequence<byte>(bytes, (int)consumed, bytes.Length - (int)consumed), isFinalBlock: true, collector, lines);

            // Assert: the prefix yields only lines the whole input yields, in order, and nothing is lost.
            Assert.True(consumed <= length);
            DecodedLine.AssertEqual(expected.Take(afterPrefix).ToList(), lines.Take(afterPrefix).ToList(), $"prefix of {length} bytes");
            DecodedLine.AssertEqual(expected, lines, $"prefix of {length} bytes then the rest");
        }
    }

    [Fact]
    public void ReadNext_LineLongerThanLimit_ReportsItAndKeepsNeighbours()
    {
        // Arrange
        var options = new LineProtocolReaderOptions { MaxLineLength = 32 };
        var text = "m f=1 1\nm long=\"" + new string('x', 100) + "\" 2\nm f=3 3\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        var expected = LineProtocolTestReader.ReadAll(new ReadOnlySequence<byte>(bytes), options: options);

        // Assert (contiguous)
        Assert.Equal(3, expected.Count);
        Assert.Equal(1, expected[0].Point!.TimestampNs);
        Assert.Equal(new LineProtocolError(2, 33, "line is longer than the maximum of 32 bytes"), expected[1].Error);
        Assert.Equal(3, expected[2].Point!.TimestampNs);

        // Act + Assert: the same across every split and every streaming prefix.
        for (var split = 0; split <= bytes.Length; split++)
        {
            var sequence = BufferSegment.Sequence(bytes.AsMemory(0, split), bytes.AsMemory(split));
            DecodedLine.AssertEqual(expected, LineProtocolTestReader.ReadAll(sequence, options: options), $"split at {split}");

            using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, 0, options);
            var lines = new List<DecodedLine>();
            var collector = new PointCollector();
            var consumed = LineProtocolTestReader.ReadAvailable(reader, new ReadOnlySequence<byte>(bytes, 0, split), isFinalBlock: false, collector, lines);
            LineProtocolTestReader.ReadAvailable(reader, new ReadOnlySequence<byte>(bytes, (int)consumed, bytes.Length - (int)consumed), isFinalBlock: true, collector, lines);
            DecodedLine.AssertEqual(expected, lines, $"prefix of {split} bytes then the rest");
        }
    }

    [Fact]
    public void ReadNext_UnfinishedLineAtLimit_DoesNotBufferMore()
    {
        // Arrange: 1000 bytes of a line without a line feed, not final.
        using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, 0, new LineProtocolReaderOptions { MaxLineLength = 64 });
        var collector = new PointCollector();
        var lines = new List<DecodedLine>();
        var bytes = Encoding.UTF8.GetBytes("m s=\"" + new string('y', 995));

        // Act
        var consumed = LineProtocolTestReader.ReadAvailable(reader, new ReadOnlySequence<byte>(bytes), isFinalBlock: false, collector, lines);

        // Assert: reported once and skipped; the caller need not keep the data.
        Assert.Equal(bytes.Length, consumed);
        var line = Assert.Single(lines);
        Assert.Equal("line is longer than the maximum of 64 bytes", line.Error!.Value.Message);
    }

    [Theory]
    [InlineData("cpu,host value=1", 1, 9, "expected '=' after tag key \"host\" but found a space")]
    [InlineData("m f=1\ncpu,host=a\tvalue=1", 2, 11, "expected ',' and a tag or ' ' and fields after tag \"host=a\" but found a tab")]
    [InlineData("m f=12x", 1, 5, "field value \"12x\" is not a number (integers need a trailing i or u)")]
    [InlineData("m f=9223372036854775808i", 1, 5, "field value \"9223372036854775808i\" is out of the range of a signed 64-bit integer")]
    [InlineData("m f=18446744073709551616u", 1, 5, "field value \"18446744073709551616u\" is out of the range of an unsigned 64-bit integer")]
    [InlineData("m f=-1u", 1, 5, "field value \"-1u\" is not an unsigned integer (digits followed by u)")]
    [InlineData("m f=1e309", 1, 5, "field value \"1e309\" is out of the range of a 64-bit float")]
    [InlineData("m f=tru", 1, 5, "field value \"tru\" is not a boolean (t, T, true, True, TRUE, f, F, false, False, FALSE)")]
    [InlineData("m f=1 1.5", 1, 7, "expected an integer timestamp but found \"1.5\"")]
    [InlineData("m f=1 1 2", 1, 9, "expected the end of the line after the timestamp but found '2'")]
    [InlineData("m s=\"a\nb", 1, 5, "expected a closing '\"' of the string field value but found end of input")]
    [InlineData("m s=\"a\nb\" x", 2, 4, "expected a timestamp or the end of the line but found 'x'")]
    [InlineData("m,a=1,a=2 f=1", 1, 7, "duplicate tag key \"a\"")]
    [InlineData("m", 1, 2, "expected ',' and a tag or ' ' and fields after the measurement but found end of input")]
    [InlineData("m ", 1, 3, "expected a field key but found end of input")]
    [InlineData("m f=1,", 1, 7, "expected a field key but found end of input")]
    [InlineData("m f=", 1, 5, "expected a value for field \"f\" but found end of input")]
    [InlineData("m f=x", 1, 5, "expected a field value (number, string in quotes, or boolean) for field \"f\" but found \"x\"")]
    [InlineData("#ok\n#bad\tcomment", 2, 5, "invalid character a tab in a comment line")]
    [InlineData(",m f=1", 1, 1, "expected a measurement name but found ','")]
    public void Parse_MalformedLine_ReportsLineColumnAndExpectation(string text, long line, int column, string message)
    {
        // Act
        var exception = Assert.Throws<LineProtocolException>(() => LineProtocolParser.Parse(text, LineProtocolPrecision.Nanosecond, 0));

        // Assert
        Assert.Equal(new LineProtocolError(line, column, message), exception.Error);
    }

    [Fact]
    public void ParseLenient_MixedLines_KeepsGoodLinesAndReportsEachBadOne()
    {
        // Act
        var result = LineProtocolParser.ParseLenient("a f=1 1\nb f=\n\nc f=3 3\nd,x f=4\ne f=5 5", LineProtocolPrecision.Nanosecond, 0);

        // Assert
        Assert.Equal(["a", "c", "e"], result.Points.Select(point => point.Measurement));
        Assert.Equal([2L, 5L], result.Errors.Select(error => error.Line));
        Assert.False(result.IsSuccess);
    }

    [Theory]
    [InlineData(LineProtocolPrecision.Nanosecond, 7L)]
    [InlineData(LineProtocolPrecision.Microsecond, 7_000L)]
    [InlineData(LineProtocolPrecision.Millisecond, 7_000_000L)]
    [InlineData(LineProtocolPrecision.Second, 7_000_000_000L)]
    public void Parse_Precision_MultipliesTimestamp(LineProtocolPrecision precision, long expectedNs)
    {
        var point = Assert.Single(LineProtocolParser.Parse("m f=1 7", precision, 0));

        Assert.Equal(expectedNs, point.TimestampNs);
    }

    [Fact]
    public void Parse_TimestampOverflowsAtPrecision_ReportsError()
    {
        var exception = Assert.Throws<LineProtocolException>(() => LineProtocolParser.Parse("m f=1 9223372036854776", LineProtocolPrecision.Millisecond, 0));

        Assert.Equal("timestamp \"9223372036854776\" overflows 64-bit nanoseconds at precision Millisecond", exception.Error.Message);
    }

    [Fact]
    public void Parse_NoTimestamp_UsesDefaultTimeTruncatedToPrecision()
    {
        var point = Assert.Single(LineProtocolParser.Parse("m f=1", LineProtocolPrecision.Millisecond, 1_700_000_000_123_456_789));

        Assert.Equal(1_700_000_000_123_000_000, point.TimestampNs);
    }

    [Fact]
    public void Parse_AllValueTypesAndEscapes_DecodesExactly()
    {
        // Arrange
        const string Text = "weather\\ station,site\\,id=north\\=1,a=b f=-1.5e-3,i=-9223372036854775808i,u=18446744073709551615u,t=True,s=\"tab\\there \\\\ \\\"q\\\" \\x\" -5\r\n";

        // Act
        var point = Assert.Single(LineProtocolParser.Parse(Text, LineProtocolPrecision.Nanosecond, 0));

        // Assert
        Assert.Equal("weather station", point.Measurement);
        Assert.Equal([new("a", "b"), new("site,id", "north=1")], point.Tags);
        Assert.Equal(FieldValue.FromFloat(-1.5e-3), point.Fields[0].Value);
        Assert.Equal(FieldValue.FromInteger(long.MinValue), point.Fields[1].Value);
        Assert.Equal(FieldValue.FromUInteger(ulong.MaxValue), point.Fields[2].Value);
        Assert.Equal(FieldValue.FromBoolean(true), point.Fields[3].Value);
        Assert.Equal(FieldValue.FromString("tab\there \\ \"q\" \\x"), point.Fields[4].Value);
        Assert.Equal(-5, point.TimestampNs);
    }

    [Fact]
    public void ReadNext_UnsortedTags_DeliveredSortedToSink()
    {
        // Arrange
        using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, 0);
        var input = new SequenceReader<byte>(new ReadOnlySequence<byte>("m,zz=1,service_version=2,service_environment=3,a=4 f=1\n"u8.ToArray()));
        var collector = new PointCollector();

        // Act
        var status = reader.ReadNext(ref input, isFinalBlock: true, ref collector, out _);

        // Assert
        Assert.Equal(LineProtocolReadStatus.Point, status);
        Assert.Equal(["a", "service_environment", "service_version", "zz"], collector.Points[0].Tags.Select(tag => tag.Key));
    }

    [Fact]
    public void ReadNext_WellFormedLines_AllocatesNothing()
    {
        // Arrange
        var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(TsbsLine, 100)) + "m,k\\ 1=v\\,2 s=\"a\\\"b\",f=1.25 1\n");
        using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, 0);
        var sink = new CountingSink();
        for (var warmUp = 0; warmUp < 50; warmUp++)
        {
            ReadBody(reader, body, ref sink);
        }

        sink = new CountingSink();

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        ReadBody(reader, body, ref sink);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Equal(101, sink.Points);
        Assert.Equal(1001, sink.Tags);
        Assert.Equal(0, allocated);
    }

    private static void ReadBody(LineProtocolReader reader, byte[] body, ref CountingSink sink)
    {
        reader.Reset(LineProtocolPrecision.Nanosecond, 0);
        var input = new SequenceReader<byte>(new ReadOnlySequence<byte>(body));
        while (reader.ReadNext(ref input, isFinalBlock: true, ref sink, out _) == LineProtocolReadStatus.Point)
        {
        }
    }
}
