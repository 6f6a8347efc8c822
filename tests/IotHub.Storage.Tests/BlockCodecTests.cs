using IotHub.Telemetry;

namespace IotHub.Storage.Tests;

/// <summary>The sealed block format gives back every point bit for bit, and compresses sensor data.</summary>
public sealed class BlockCodecTests
{
    private const long Minute = 60_000_000_000;
    private static readonly long T0 = TimeUnits.FromDateTimeOffset(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    public static TheoryData<double[]> FloatCases => new()
    {
        { [21.5] },
        { [-3.25, -3.5, 0, 2.125, -1e-3] },
        { [Math.PI, Math.E, 0.1 + 0.2, 1.0 / 3] },
        { [1e300, -1e300, double.MaxValue, double.MinValue, double.Epsilon, -double.Epsilon, 1e-310] },
        { [-0.0, 0.0, 1.5] },
        { [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 2.0] },
        { [9_007_199_254_740_993d, 1.5, 123456789.123] },
        { [0.1, 0.12, 0.123, 0.1234567, 12.5] },
    };

    [Theory]
    [MemberData(nameof(FloatCases))]
    public void Floats_RoundTripBitForBit(double[] values)
    {
        var points = Points(FieldKind.Float, values.Length, i => FieldValue.FromFloat(values[i]), i => T0 + (i * Minute));

        var decoded = RoundTrip(points);

        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), decoded.Bits.Take(decoded.Count));
    }

    [Fact]
    public void Floats_DecimalsWithAFewNegativeZeros_StayDecimalAndExact()
    {
        // Rounding a small negative reading gives -0.0, which no mantissa represents: kept as an exception.
        var values = Enumerable.Range(0, 500).Select(i => Math.Round(Math.Sin(i / 40.0) * 0.01, 3)).ToArray();
        Assert.Contains(values, v => BitConverter.DoubleToInt64Bits(v) == BitConverter.DoubleToInt64Bits(-0.0));
        var points = Points(FieldKind.Float, values.Length, i => FieldValue.FromFloat(values[i]), i => T0 + (i * Minute));

        var bytes = BlockCodec.Encode(points);
        var decoded = new BlockPoints();
        BlockCodec.Decode(bytes, decoded);

        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), decoded.Bits.Take(decoded.Count));
        Assert.True(bytes.Length < values.Length, $"{bytes.Length} bytes: the block fell back to raw doubles");
    }

    [Fact]
    public void Timestamps_WithABase_RoundTripOnlyWithTheSameBase()
    {
        var points = Points(FieldKind.Float, 3, i => FieldValue.FromFloat(i), i => T0 + (i * Minute));
        var decoded = new BlockPoints();

        BlockCodec.Decode(BlockCodec.Encode(points, T0), decoded, T0);

        Assert.Equal([T0, T0 + Minute, T0 + (2 * Minute)], decoded.Timestamps.Take(3));
    }

    [Fact]
    public void Timestamps_IrregularNegativeAndNanosecond_RoundTrip()
    {
        long[] timestamps = [-5 * Minute, -1, 0, 7, 1_000_000_007, T0, T0 + Minute, T0 + (2 * Minute) + 1, T0 + (50 * Minute), long.MaxValue - 1, long.MaxValue];
        var points = Points(FieldKind.Integer, timestamps.Length, i => FieldValue.FromInteger(i), i => timestamps[i]);

        var decoded = RoundTrip(points);

        Assert.Equal(timestamps, decoded.Timestamps.Take(decoded.Count));
    }

    [Fact]
    public void Integers_ExtremesAndOverflowingDeltas_RoundTrip()
    {
        long[] values = [0, long.MaxValue, long.MinValue, -1, long.MinValue, long.MaxValue, 42];
        var decoded = RoundTrip(Points(FieldKind.Integer, values.Length, i => FieldValue.FromInteger(values[i]), i => T0 + i));

        Assert.Equal(values, decoded.Bits.Take(decoded.Count));
        Assert.Equal(FieldKind.Integer, decoded.Kind);
    }

    [Fact]
    public void UnsignedBooleansAndStrings_RoundTripAsTheirKind()
    {
        ulong[] unsigned = [0, ulong.MaxValue, 1, ulong.MaxValue - 7];
        bool[] booleans = [true, false, false, true];
        string[] strings = ["normal", "", "警報 レベル3", new string('x', 5000)];

        var u = RoundTrip(Points(FieldKind.UInteger, 4, i => FieldValue.FromUInteger(unsigned[i]), i => T0 + (i * Minute)));
        var b = RoundTrip(Points(FieldKind.Boolean, 4, i => FieldValue.FromBoolean(booleans[i]), i => T0 + (i * Minute)));
        var s = RoundTrip(Points(FieldKind.String, 4, i => FieldValue.FromString(strings[i]), i => T0 + (i * Minute)));

        Assert.Equal(unsigned, Enumerable.Range(0, 4).Select(i => u.ValueAt(i).AsUInteger));
        Assert.Equal(booleans, Enumerable.Range(0, 4).Select(i => b.ValueAt(i).AsBoolean));
        Assert.Equal(strings, Enumerable.Range(0, 4).Select(i => s.ValueAt(i).AsString));
    }

    [Fact]
    public void RandomBlocks_RoundTrip()
    {
        var random = new Random(11);
        for (var round = 0; round < 300; round++)
        {
            var count = random.Next(1, 2000);
            var decimals = random.Next(-1, 8);
            var ts = T0 - random.NextInt64(0, 1_000_000 * Minute);
            var timestamps = new long[count];
            for (var i = 0; i < count; i++)
            {
                ts += random.Next(4) == 0 ? random.NextInt64(1, 100 * Minute) : Minute;
                timestamps[i] = ts;
            }

            var values = Enumerable.Range(0, count).Select(_ =>
            {
                var v = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 12));
                return decimals < 0 ? v : Math.Round(v, decimals);
            }).ToArray();

            var decoded = RoundTrip(Points(FieldKind.Float, count, i => FieldValue.FromFloat(values[i]), i => timestamps[i]));

            Assert.Equal(timestamps, decoded.Timestamps.Take(decoded.Count));
            Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), decoded.Bits.Take(decoded.Count));
        }
    }

    [Fact]
    public void SensorDay_OneMinuteCadenceTwoDecimals_UnderOneBytePerPoint()
    {
        // A day of a slowly changing sensor: a reading a minute with two decimals.
        var random = new Random(3);
        var level = 1.20;
        var points = Points(FieldKind.Float, 1440, _ =>
        {
            level = Math.Round(level + ((random.NextDouble() - 0.5) * 0.02), 2);
            return FieldValue.FromFloat(level);
        }, i => T0 + (i * Minute));

        var bytes = BlockCodec.Encode(points);

        Assert.True(bytes.Length < 1440, $"{bytes.Length} bytes for 1,440 points");
        Assert.Equal(1440, BlockCodec.CountOf(bytes));
    }

    [Fact]
    public void Merge_EqualTimestamps_NewerWins()
    {
        var older = Points(FieldKind.Float, 3, i => FieldValue.FromFloat(i), i => T0 + (i * 2 * Minute));
        var newer = Points(FieldKind.Float, 3, i => FieldValue.FromFloat(10 + i), i => T0 + (i * Minute));
        var merged = new BlockPoints();

        merged.Merge(older, newer);

        Assert.Equal([T0, T0 + Minute, T0 + (2 * Minute), T0 + (4 * Minute)], merged.Timestamps.Take(merged.Count));
        Assert.Equal([10.0, 11, 12, 2], Enumerable.Range(0, merged.Count).Select(merged.NumberAt));
    }

    [Fact]
    public void Decode_NotABlock_InvalidData()
    {
        Assert.Throws<InvalidDataException>(() => BlockCodec.Decode(new byte[] { 9, 0, 0, 0, 0, 1, 1 }, new BlockPoints()));
    }

    private static BlockPoints RoundTrip(BlockPoints points)
    {
        var decoded = new BlockPoints();
        BlockCodec.Decode(BlockCodec.Encode(points), decoded);
        Assert.Equal(points.Count, decoded.Count);
        return decoded;
    }

    private static BlockPoints Points(FieldKind kind, int count, Func<int, FieldValue> value, Func<int, long> timestamp)
    {
        var points = new BlockPoints();
        points.Reset(kind, count);
        for (var i = 0; i < count; i++)
        {
            points.Add(timestamp(i), value(i));
        }

        return points;
    }
}
