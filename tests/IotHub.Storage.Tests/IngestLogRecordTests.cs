using System.Buffers.Binary;
using System.Text;
using IotHub.Telemetry;

namespace IotHub.Storage.Tests;

public sealed class IngestLogRecordTests
{
    private static readonly long Base = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteRead_EveryKindSharedAndOwnTimestamps_ColumnsComeBackEqual(bool pooled)
    {
        // Two fields of the same lines (shared timestamps), then columns with timestamps of their
        // own: out of order, far apart, and values at the ends of their ranges.
        long[] lines = [Base, Base + 1_000_000_000, Base + 2_000_000_000];
        long[] jumbled = [Base + 5, Base - 7_000_000_000_000, long.MaxValue, long.MinValue + 1, Base];
        List<SeriesColumns> columns =
        [
            new("traffic", [new("lane", "1"), new("detector", "d1")], "occupancy", lines, [0.25, double.NaN, -1e300], 3),
            new("traffic", [new("lane", "1"), new("detector", "d1")], "volume", [.. lines], [0L, -1L, long.MinValue], 3),
            new("traffic", [new("lane", "1"), new("detector", "d1")], "count", jumbled, [0UL, 127UL, 128UL, ulong.MaxValue, 300UL], 5),
            new("traffic", [], "ok", jumbled, [true, false, true, true, false], 5),
            new("traffic", [], "note", [Base], ["ä €"], 1),
            new("traffic", [], "empty", [], Array.Empty<double>(), 0),
            new("traffic", [], "after-empty", [], Array.Empty<long>(), 0),
        ];

        var (buffer, length) = IngestLogRecord.Write(columns, new UplinkBatch("dev-1", 42), Base, IngestLog.HeaderBytes);
        var payload = buffer.AsSpan(IngestLog.HeaderBytes, length);
        var (read, batch, accepted) = IngestLogRecord.Read(payload, pooled);

        Assert.Equal(new UplinkBatch("dev-1", 42), batch);
        Assert.Equal(Base, accepted);
        Assert.Equal(3 + 3 + 5 + 5 + 1, IngestLogRecord.ValueCount(payload));
        Assert.Equal(columns.Count, read.Count);
        for (var c = 0; c < columns.Count; c++)
        {
            var (expected, actual) = (columns[c], read[c]);
            Assert.Equal((expected.Measurement, expected.Field, expected.Kind, expected.Count), (actual.Measurement, actual.Field, actual.Kind, actual.Count));
            Assert.Equal(expected.Tags, actual.Tags);
            Assert.Equal(expected.TimestampsNs.AsSpan(0, expected.Count), actual.TimestampsNs.AsSpan(0, actual.Count));
            Assert.Equal(Values(expected), Values(actual));
        }

        // Shared timestamps are read into arrays of their own (each goes back to the pool once).
        Assert.NotSame(read[0].TimestampsNs, read[1].TimestampsNs);
        if (pooled)
        {
            IngestLogRecord.ReturnArrays(read);
        }
    }

    [Fact]
    public void Write_ThreeFieldLinesASecondApart_UnderHalfTheBytesOfFixedWidth()
    {
        // The load tool's traffic lines: an integer and two floats, one line a second.
        const int Lines = 1_000;
        var ts = Enumerable.Range(0, Lines).Select(i => Base + (i * 1_000_000_000L)).ToArray();
        KeyValuePair<string, string>[] tags = [new("lane", "1"), new("detector", "d1")];
        List<SeriesColumns> columns =
        [
            new("traffic", tags, "volume", ts, Enumerable.Range(0, Lines).Select(i => (long)(i * 7 % 40)).ToArray(), Lines),
            new("traffic", tags, "occupancy", ts, Enumerable.Range(0, Lines).Select(i => i % 100 / 100.0).ToArray(), Lines),
            new("traffic", tags, "speed", ts, Enumerable.Range(0, Lines).Select(i => 20.5 + (i % 50)).ToArray(), Lines),
        ];

        var (_, length) = IngestLogRecord.Write(columns, null, Base, IngestLog.HeaderBytes);

        // Fixed width: 3 x (8-byte timestamp + 8-byte value) = 48 bytes a line; compact: 5 + 1 + 8 + 8.
        Assert.InRange(length, 22 * Lines, (22 * Lines) + 200);
    }

    [Fact]
    public void Read_RecordWithoutCompactFlag_FixedWidthColumnsRead()
    {
        // A record as written before the compact form (still in a log replayed after an upgrade).
        var payload = new List<byte> { 0 };
        payload.AddRange(BitConverter.GetBytes(Base));
        payload.AddRange(BitConverter.GetBytes(4));
        payload.AddRange(BitConverter.GetBytes(2));
        AddColumn(payload, "level", FieldKind.Float, [Base, Base + 1], [BitConverter.GetBytes(1.5), BitConverter.GetBytes(-2.0)]);
        AddColumn(payload, "count", FieldKind.Integer, [Base, Base + 1], [BitConverter.GetBytes(-3L), BitConverter.GetBytes(long.MaxValue)]);

        var (columns, batch, accepted) = IngestLogRecord.Read(payload.ToArray());

        Assert.Null(batch);
        Assert.Equal(Base, accepted);
        Assert.Equal([Base, Base + 1], columns[0].TimestampsNs);
        Assert.Equal([1.5, -2.0], columns[0].Floats!);
        Assert.Equal([Base, Base + 1], columns[1].TimestampsNs);
        Assert.Equal([-3L, long.MaxValue], columns[1].Integers!);
    }

    [Fact]
    public void Read_CompactRecordCutShort_InvalidData()
    {
        var column = new SeriesColumns("river", [], "level", [Base, Base + 1_000_000_000], [1L, 300L], 2);
        var (buffer, length) = IngestLogRecord.Write([column], null, Base, IngestLog.HeaderBytes);

        Assert.Throws<InvalidDataException>(() => IngestLogRecord.Read(buffer.AsSpan(IngestLog.HeaderBytes, length - 1)));
    }

    private static object[] Values(SeriesColumns column) => column.Kind switch
    {
        FieldKind.Float => column.Floats!.Take(column.Count).Select(v => (object)BitConverter.DoubleToInt64Bits(v)).ToArray(),
        FieldKind.Integer => column.Integers!.Take(column.Count).Cast<object>().ToArray(),
        FieldKind.UInteger => column.UIntegers!.Take(column.Count).Cast<object>().ToArray(),
        FieldKind.Boolean => column.Booleans!.Take(column.Count).Cast<object>().ToArray(),
        _ => column.Strings!.Take(column.Count).Cast<object>().ToArray(),
    };

    private static void AddColumn(List<byte> payload, string field, FieldKind kind, long[] timestamps, byte[][] values)
    {
        AddString(payload, "river");
        payload.AddRange(BitConverter.GetBytes((ushort)0));
        AddString(payload, field);
        payload.Add((byte)kind);
        payload.AddRange(BitConverter.GetBytes(timestamps.Length));
        foreach (var ts in timestamps)
        {
            payload.AddRange(BitConverter.GetBytes(ts));
        }

        foreach (var value in values)
        {
            payload.AddRange(value);
        }
    }

    private static void AddString(List<byte> payload, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        payload.AddRange(length);
        payload.AddRange(bytes);
    }
}
