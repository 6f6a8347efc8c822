using IotHub.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace IotHub.Ingest.Tests;

public sealed class TelemetryMapperTests
{
    private static readonly DateTimeOffset Now = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TelemetryMapper _mapper = new(new IngestOptions(), new FakeTimeProvider(Now));
    private readonly DeviceRecord _gauge = new("gauge-kanda-1", "river-gauge", "Kanda", new Dictionary<string, string> { ["river"] = "kanda" }, "00", Now);

    [Fact]
    public void Map_ValidReading_PointOfKindMeasurementWithDeviceAndRegisteredTags()
    {
        var points = _mapper.Map(_gauge, [Reading(TimeUnits.FromDateTimeOffset(Now), ("level", FieldValue.FromFloat(1.2)), ("rain_rate", FieldValue.FromInteger(30)))]);

        var point = Assert.Single(points);
        Assert.Equal("river", point.Measurement);
        Assert.Equal([new("device", "gauge-kanda-1"), new("river", "kanda")], point.Tags);
        Assert.Equal(FieldValue.FromFloat(1.2), point.Fields[0].Value);
        Assert.Equal(FieldValue.FromFloat(30), point.Fields[1].Value);
    }

    [Fact]
    public void Map_NoTimestamp_UsesHubClock()
    {
        var point = Assert.Single(_mapper.Map(_gauge, [Reading(null, ("level", FieldValue.FromFloat(1)))]));

        Assert.Equal(TimeUnits.FromDateTimeOffset(Now), point.TimestampNs);
    }

    [Theory]
    [InlineData(11, true)]
    [InlineData(9, false)]
    public void Map_TimestampAheadOfClock_RejectedBeyondSkew(int minutesAhead, bool rejected)
    {
        var reading = Reading(TimeUnits.FromDateTimeOffset(Now.AddMinutes(minutesAhead)), ("level", FieldValue.FromFloat(1)));

        var error = Record.Exception(() => _mapper.Map(_gauge, [reading]));

        Assert.Equal(rejected, error is IngestRejectedException { Reason: RejectReason.TimestampOutOfRange });
    }

    [Fact]
    public void Map_TimestampOlderThanRetentionWindow_Rejected()
    {
        var reading = Reading(TimeUnits.FromDateTimeOffset(Now.AddDays(-401)), ("level", FieldValue.FromFloat(1)));

        var error = Assert.Throws<IngestRejectedException>(() => _mapper.Map(_gauge, [reading]));

        Assert.Equal(RejectReason.TimestampOutOfRange, error.Reason);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Map_NonFiniteFloat_Rejected(double value)
    {
        var error = Assert.Throws<IngestRejectedException>(() => _mapper.Map(_gauge, [Reading(null, ("level", FieldValue.FromFloat(value)))]));

        Assert.Equal(RejectReason.NonFiniteValue, error.Reason);
        Assert.Contains("\"level\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_FieldNotOfKind_RejectedNamingFieldAndKind()
    {
        var error = Assert.Throws<IngestRejectedException>(() => _mapper.Map(_gauge, [Reading(null, ("speed", FieldValue.FromFloat(3)))]));

        Assert.Equal(RejectReason.UnknownField, error.Reason);
        Assert.Contains("field \"speed\" is not defined for kind river-gauge", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_IntegerFieldGivenWholeFloat_StoredAsInteger()
    {
        var pole = _gauge with { Id = "pole-1", Kind = "smart-pole" };

        var point = Assert.Single(_mapper.Map(pole, [Reading(null, ("people_count", FieldValue.FromFloat(12)))]));

        Assert.Equal(FieldValue.FromInteger(12), point.Fields[0].Value);
    }

    [Theory]
    [InlineData("people_count", 12.5)]
    public void Map_IntegerFieldGivenFraction_WrongType(string field, double value)
    {
        var pole = _gauge with { Id = "pole-1", Kind = "smart-pole" };

        var error = Assert.Throws<IngestRejectedException>(() => _mapper.Map(pole, [Reading(null, (field, FieldValue.FromFloat(value)))]));

        Assert.Equal(RejectReason.WrongFieldType, error.Reason);
    }

    [Fact]
    public void Map_StringFieldGivenNumber_WrongType()
    {
        var car = _gauge with { Id = "car-1", Kind = "train-car" };

        var error = Assert.Throws<IngestRejectedException>(() => _mapper.Map(car, [Reading(null, ("station", FieldValue.FromInteger(5)))]));

        Assert.Equal(RejectReason.WrongFieldType, error.Reason);
        Assert.Contains("must be string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_RegisteredTagNamedDevice_CannotSpoofDeviceTag()
    {
        var spoof = _gauge with { Tags = new Dictionary<string, string> { ["device"] = "someone-else" } };

        var point = Assert.Single(_mapper.Map(spoof, [Reading(null, ("level", FieldValue.FromFloat(1)))]));

        Assert.Equal("gauge-kanda-1", point.GetTag("device"));
        Assert.Single(point.Tags);
    }

    [Fact]
    public void Map_MoreReadingsThanLimit_Rejected()
    {
        var mapper = new TelemetryMapper(new IngestOptions { MaxReadingsPerPayload = 2 }, new FakeTimeProvider(Now));
        var readings = Enumerable.Range(0, 3).Select(_ => Reading(null, ("level", FieldValue.FromFloat(1)))).ToList();

        var error = Assert.Throws<IngestRejectedException>(() => mapper.Map(_gauge, readings));

        Assert.Equal(RejectReason.TooManyReadings, error.Reason);
    }

    private static RawReading Reading(long? timestampNs, params (string Name, FieldValue Value)[] values) =>
        new(timestampNs, values.Select(v => new KeyValuePair<string, FieldValue>(v.Name, v.Value)).ToList());
}
