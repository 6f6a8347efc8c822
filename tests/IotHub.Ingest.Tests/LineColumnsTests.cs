using System.Text;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;
using Microsoft.Extensions.Time.Testing;

namespace IotHub.Ingest.Tests;

public sealed class LineColumnsTests
{
    private static readonly DateTimeOffset Now = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly long NowNs = TimeUnits.FromDateTimeOffset(Now);
    private readonly TelemetryMapper _mapper = new(new IngestOptions { MaxTagsPerPoint = 3 }, new FakeTimeProvider(Now));
    private readonly DeviceRecord _gauge = new("gauge-kanda-1", "river-gauge", "Kanda", new Dictionary<string, string> { ["river"] = "kanda" }, "00", Now);
    private readonly DeviceRecord _pole = new("pole-1", "smart-pole", "Pole", new Dictionary<string, string>(), "00", Now);

    [Fact]
    public void Unbound_EveryFieldKind_OneColumnPerSeriesWithTypedValues()
    {
        var columns = Read(null, $"""
            m,b=2,a=1 f=1.5,i=-3i,u=7u,t=true,s="x y" {NowNs}
            m,a=1,b=2 f=2.5,i=4i,u=8u,t=F,s="z" {NowNs + 1}
            m,a=9 f=0 {NowNs + 2}
            """);

        var written = columns.ToColumns().ToDictionary(c => c.Field + "/" + c.Tags[0].Value);
        Assert.Empty(columns.Rejections);
        Assert.Equal(3, columns.PointsAccepted);
        Assert.Equal(6, written.Count);
        Assert.Equal([new("a", "1"), new("b", "2")], written["f/1"].Tags);
        Assert.Equal([1.5, 2.5], written["f/1"].Floats!.Take(2));
        Assert.Equal([NowNs, NowNs + 1], written["f/1"].TimestampsNs.Take(2));
        Assert.Equal([-3L, 4L], written["i/1"].Integers!.Take(2));
        Assert.Equal([7UL, 8UL], written["u/1"].UIntegers!.Take(2));
        Assert.Equal([true, false], written["t/1"].Booleans!.Take(2));
        Assert.Equal(["x y", "z"], written["s/1"].Strings!.Take(2));
        Assert.Equal(1, written["f/9"].Count);
    }

    [Fact]
    public void Bound_DeviceTagsWinAndValuesConvertedToTheKindsTypes()
    {
        var columns = Read(_pole, $"smart_pole,device=someone-else,zone=a people_count=12,temperature=21i {NowNs}");

        var written = columns.ToColumns().ToDictionary(c => c.Field);
        Assert.Equal([new("device", "pole-1"), new("zone", "a")], written["people_count"].Tags);
        Assert.Equal(FieldKind.Integer, written["people_count"].Kind);
        Assert.Equal(12, written["people_count"].Integers![0]);
        Assert.Equal(21.0, written["temperature"].Floats![0]);
    }

    [Theory]
    [InlineData("cpu usage=1")]
    [InlineData("river speed=1")]
    [InlineData("river level=1i,rain_rate=2.5,speed=3")]
    [InlineData("river,a=1,b=2,c=3 level=1")]
    [InlineData("river level=\"high\"")]
    [InlineData("river level=1 1")]
    public void Bound_RefusedPoint_SameReasonAndWordsAsTelemetryMapper(string line)
    {
        var columns = Read(_gauge, "river level=1.5\n" + line);

        var expected = Assert.Throws<IngestRejectedException>(() => _mapper.MapPoints(_gauge, LineProtocolParser.Parse(line, LineProtocolPrecision.Nanosecond, NowNs)));
        var refused = Assert.Single(columns.Rejections);
        Assert.Equal(1, refused.Index);
        Assert.Equal(expected.Reason, refused.Reason);
        Assert.Equal(expected.Message, "reading 0: " + refused.Problem);
        Assert.Equal(1, columns.PointsAccepted);
        Assert.Equal(1, Assert.Single(columns.ToColumns()).Count);
    }

    [Theory]
    [InlineData("m,a=1,b=2,c=3,d=4 v=1")]
    [InlineData("m,a=1,b=2,c=3,d=4,e=5 v=1 1")]
    [InlineData("m v=1 99999999999999999")]
    public void Unbound_RefusedPoint_SameReasonAndWordsAsCheckUnbound(string line)
    {
        var columns = Read(null, line);

        var expected = Assert.Throws<IngestRejectedException>(() => _mapper.CheckUnbound(LineProtocolParser.Parse(line, LineProtocolPrecision.Nanosecond, NowNs)));
        var refused = Assert.Single(columns.Rejections);
        Assert.Equal(expected.Reason, refused.Reason);
        Assert.EndsWith(": " + refused.Problem, expected.Message, StringComparison.Ordinal);
        Assert.Empty(columns.ToColumns());
    }

    [Fact]
    public void Clear_AfterWrite_NextWriteStartsEmpty()
    {
        var columns = Read(null, $"m v=1 {NowNs}");
        columns.Start(device: null);

        Assert.Empty(columns.ToColumns());
        Assert.Equal(0, columns.PointsRead);
    }

    [Fact]
    public void ForConnection_SameDeviceAgain_SeriesKeptAndEachWriteHasOnlyItsOwnValues()
    {
        var columns = LineColumns.ForConnection(_mapper);
        Read(_gauge, $"river level=1.5,rain_rate=2 {NowNs}\nriver level=1.6 {NowNs + 1}", columns);
        var first = columns.ToColumns().ToDictionary(c => c.Field);
        Assert.Equal([1.5, 1.6], first["level"].Floats!.Take(first["level"].Count));
        Assert.Equal(2, first.Count);
        var tags = first["level"].Tags;

        // The buffers are the connection's again once the write is done.
        columns.Clear();

        // A refused write leaves nothing behind for the next one.
        Read(_gauge, $"river level=1.7 {NowNs + 2}\nriver speed=1 {NowNs + 3}", columns);
        Assert.Equal(RejectReason.UnknownField, Assert.Single(columns.Rejections).Reason);
        columns.Clear();

        Read(_gauge, $"river rain_rate=3,level=1.8 {NowNs + 4}", columns);
        var second = columns.ToColumns();

        Assert.Equal(["rain_rate", "level"], second.Select(c => c.Field));
        Assert.All(second, c => Assert.Equal(1, c.Count));
        Assert.Equal([NowNs + 4], second[1].TimestampsNs.Take(second[1].Count));
        Assert.Equal(1.8, second[1].Floats![0]);
        Assert.Equal(tags, second[1].Tags);
    }

    [Fact]
    public void ForConnection_OtherDeviceRecord_SeriesMadeAgainWithItsTags()
    {
        var columns = LineColumns.ForConnection(_mapper);
        Read(_gauge, $"river level=1.5 {NowNs}", columns);
        columns.Clear();

        // The same device registered again (a new record) with other tags.
        var moved = _gauge with { Tags = new Dictionary<string, string> { ["river"] = "sumida" } };
        Read(moved, $"river level=2.5 {NowNs + 1}", columns);

        var written = Assert.Single(columns.ToColumns());
        Assert.Contains(new KeyValuePair<string, string>("river", "sumida"), written.Tags);
        Assert.Equal(2.5, written.Floats![0]);
    }

    private LineColumns Read(DeviceRecord? device, string text, LineColumns? into = null)
    {
        var columns = into ?? LineColumns.Rent(_mapper);
        columns.Start(device);
        using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, NowNs);
        var sink = columns.AsSink();
        ReadOnlySpan<byte> input = Encoding.UTF8.GetBytes(text);
        while (reader.ReadNextInSpan(input, isFinalBlock: true, ref sink, out var consumed, out var error) is var status && status != LineProtocolReadStatus.EndOfInput)
        {
            Assert.NotEqual(LineProtocolReadStatus.InvalidLine, status);
            input = input[consumed..];
        }

        return columns;
    }
}
