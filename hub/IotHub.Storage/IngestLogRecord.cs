using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// The payload of one ingest log record: one acknowledged write (its already validated columns
/// and its uplink batch, if any) in a compact little-endian binary form.
/// <code>
/// u8 flags (bit 0: has uplink batch) [str device, u64 sequence], i64 accepted (ns since the epoch)
/// u32 values, u32 columns, then per column:
///   str measurement, u16 tags, (str key, str value) per tag, str field, u8 kind, u32 count,
///   i64[count] timestamps, values[count] (f64, i64, u64, u8 0/1, or str each)
/// str = u32 UTF-8 length + bytes
/// </code>
/// The framing (length and checksum) is <see cref="IngestLog"/>'s.
/// </summary>
internal static class IngestLogRecord
{
    private const byte HasBatch = 1;

    /// <summary>
    /// Serializes a write into a pooled buffer with <paramref name="headerBytes"/> free bytes in
    /// front (for the log's framing). Returns the buffer and the payload length.
    /// </summary>
    public static (byte[] Buffer, int PayloadLength) Write(IReadOnlyList<SeriesColumns> columns, UplinkBatch? batch, long acceptedNs, int headerBytes)
    {
        var size = 1 + 8 + 4 + 4 + (batch is { } b ? StringSize(b.Device) + 8 : 0);
        foreach (var column in columns)
        {
            size += ColumnSize(column);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(headerBytes + size);
        var span = buffer.AsSpan(headerBytes, size);
        var at = 0;
        span[at++] = batch is null ? (byte)0 : HasBatch;
        if (batch is { } uplink)
        {
            PutString(span, ref at, uplink.Device);
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], uplink.Sequence);
            at += 8;
        }

        BinaryPrimitives.WriteInt64LittleEndian(span[at..], acceptedNs);
        at += 8;
        var values = 0;
        foreach (var column in columns)
        {
            values += column.Count;
        }

        BinaryPrimitives.WriteInt32LittleEndian(span[at..], values);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 4)..], columns.Count);
        at += 8;
        foreach (var column in columns)
        {
            PutColumn(span, ref at, column);
        }

        return (buffer, size);
    }

    /// <summary>The number of values (points of one field) a payload holds, without reading it all.</summary>
    public static int ValueCount(ReadOnlySpan<byte> payload)
    {
        var at = 1;
        if ((payload[0] & HasBatch) != 0)
        {
            at += 4 + BinaryPrimitives.ReadInt32LittleEndian(payload[1..]) + 8;
        }

        return BinaryPrimitives.ReadInt32LittleEndian(payload[(at + 8)..]);
    }

    /// <summary>
    /// Reads a payload back into columns, its uplink batch and when it was accepted. With
    /// <paramref name="pooled"/>, the timestamp and value arrays (not strings) are rented from the
    /// shared pools and may be longer than the columns' counts: give them back with
    /// <see cref="ReturnArrays"/> once the columns are written. Otherwise they are new arrays.
    /// </summary>
    /// <exception cref="InvalidDataException">The payload is not a record of this format.</exception>
    public static (List<SeriesColumns> Columns, UplinkBatch? Batch, long AcceptedNs) Read(ReadOnlySpan<byte> payload, bool pooled = false)
    {
        try
        {
            var at = 0;
            var flags = payload[at++];
            UplinkBatch? batch = null;
            if ((flags & HasBatch) != 0)
            {
                var device = GetString(payload, ref at);
                batch = new UplinkBatch(device, BinaryPrimitives.ReadUInt64LittleEndian(payload[at..]));
                at += 8;
            }

            var acceptedNs = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
            at += 8 + 4;
            var count = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
            at += 4;
            var columns = new List<SeriesColumns>(count);
            for (var i = 0; i < count; i++)
            {
                columns.Add(GetColumn(payload, ref at, pooled));
            }

            if (at != payload.Length)
            {
                throw new InvalidDataException($"ingest log record has {payload.Length - at} bytes after its last column");
            }

            return (columns, batch, acceptedNs);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidDataException("ingest log record is shorter than its contents say", ex);
        }
    }

    /// <summary>Gives the pooled arrays of columns read with <c>pooled: true</c> back to the shared pools.</summary>
    public static void ReturnArrays(List<SeriesColumns> columns)
    {
        foreach (var column in columns)
        {
            ArrayPool<long>.Shared.Return(column.TimestampsNs);
            switch (column.Kind)
            {
                case FieldKind.Float:
                    ArrayPool<double>.Shared.Return(column.Floats!);
                    break;
                case FieldKind.Integer:
                    ArrayPool<long>.Shared.Return(column.Integers!);
                    break;
                case FieldKind.UInteger:
                    ArrayPool<ulong>.Shared.Return(column.UIntegers!);
                    break;
                case FieldKind.Boolean:
                    ArrayPool<bool>.Shared.Return(column.Booleans!);
                    break;
                default:
                    // String values are read into a new array: nothing pooled.
                    break;
            }
        }
    }

    /// <summary>Points of many series as columns, one per series and field type, in order of first appearance.</summary>
    public static List<SeriesColumns> ToColumns(IReadOnlyList<Point> points)
    {
        var groups = new Dictionary<(string Key, FieldKind Kind), List<(long Ts, FieldValue Value)>>();
        var order = new List<(string Key, FieldKind Kind, Point First, string Field)>();
        foreach (var point in points)
        {
            foreach (var field in point.Fields)
            {
                var id = (SeriesKey.Create(point.Measurement, point.Tags, field.Key), field.Value.Kind);
                if (!groups.TryGetValue(id, out var values))
                {
                    values = [];
                    groups[id] = values;
                    order.Add((id.Item1, id.Kind, point, field.Key));
                }

                values.Add((point.TimestampNs, field.Value));
            }
        }

        var columns = new List<SeriesColumns>(order.Count);
        foreach (var (key, kind, first, field) in order)
        {
            var values = groups[(key, kind)];
            var ts = new long[values.Count];
            for (var i = 0; i < ts.Length; i++)
            {
                ts[i] = values[i].Ts;
            }

            columns.Add(kind switch
            {
                FieldKind.Float => new SeriesColumns(first.Measurement, first.Tags, field, ts, Project(values, static v => v.AsFloat), ts.Length),
                FieldKind.Integer => new SeriesColumns(first.Measurement, first.Tags, field, ts, Project(values, static v => v.AsInteger), ts.Length),
                FieldKind.UInteger => new SeriesColumns(first.Measurement, first.Tags, field, ts, Project(values, static v => v.AsUInteger), ts.Length),
                FieldKind.Boolean => new SeriesColumns(first.Measurement, first.Tags, field, ts, Project(values, static v => v.AsBoolean), ts.Length),
                _ => new SeriesColumns(first.Measurement, first.Tags, field, ts, Project(values, static v => v.AsString), ts.Length),
            });
        }

        return columns;
    }

    private static T[] Project<T>(List<(long Ts, FieldValue Value)> values, Func<FieldValue, T> select)
    {
        var result = new T[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = select(values[i].Value);
        }

        return result;
    }

    private static int ColumnSize(SeriesColumns column)
    {
        var size = StringSize(column.Measurement) + 2 + StringSize(column.Field) + 1 + 4 + (column.Count * 8);
        foreach (var tag in column.Tags)
        {
            size += StringSize(tag.Key) + StringSize(tag.Value);
        }

        switch (column.Kind)
        {
            case FieldKind.Boolean:
                size += column.Count;
                break;
            case FieldKind.String:
                var strings = column.Strings!;
                for (var i = 0; i < column.Count; i++)
                {
                    size += StringSize(strings[i]);
                }

                break;
            default:
                size += column.Count * 8;
                break;
        }

        return size;
    }

    private static void PutColumn(Span<byte> span, ref int at, SeriesColumns column)
    {
        PutString(span, ref at, column.Measurement);
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], checked((ushort)column.Tags.Count));
        at += 2;
        foreach (var tag in column.Tags)
        {
            PutString(span, ref at, tag.Key);
            PutString(span, ref at, tag.Value);
        }

        PutString(span, ref at, column.Field);
        span[at++] = (byte)column.Kind;
        var count = column.Count;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], count);
        at += 4;
        PutArray(span, ref at, column.TimestampsNs.AsSpan(0, count));
        switch (column.Kind)
        {
            case FieldKind.Float:
                PutArray(span, ref at, column.Floats.AsSpan(0, count));
                break;
            case FieldKind.Integer:
                PutArray(span, ref at, column.Integers.AsSpan(0, count));
                break;
            case FieldKind.UInteger:
                PutArray(span, ref at, column.UIntegers.AsSpan(0, count));
                break;
            case FieldKind.Boolean:
                var booleans = column.Booleans!;
                for (var i = 0; i < count; i++)
                {
                    span[at++] = booleans[i] ? (byte)1 : (byte)0;
                }

                break;
            default:
                var strings = column.Strings!;
                for (var i = 0; i < count; i++)
                {
                    PutString(span, ref at, strings[i]);
                }

                break;
        }
    }

    private static SeriesColumns GetColumn(ReadOnlySpan<byte> payload, ref int at, bool pooled)
    {
        var measurement = GetString(payload, ref at);
        var tagCount = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
        at += 2;
        var tags = new KeyValuePair<string, string>[tagCount];
        for (var i = 0; i < tagCount; i++)
        {
            var key = GetString(payload, ref at);
            tags[i] = new(key, GetString(payload, ref at));
        }

        var field = GetString(payload, ref at);
        var kind = (FieldKind)payload[at++];
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
        at += 4;
        if (count < 0 || count > payload.Length)
        {
            throw new InvalidDataException($"ingest log record declares {count} values in a column");
        }

        var ts = GetArray<long>(payload, ref at, count, pooled);
        switch (kind)
        {
            case FieldKind.Float:
                return new SeriesColumns(measurement, tags, field, ts, GetArray<double>(payload, ref at, count, pooled), count);
            case FieldKind.Integer:
                return new SeriesColumns(measurement, tags, field, ts, GetArray<long>(payload, ref at, count, pooled), count);
            case FieldKind.UInteger:
                return new SeriesColumns(measurement, tags, field, ts, GetArray<ulong>(payload, ref at, count, pooled), count);
            case FieldKind.Boolean:
                var booleans = pooled ? ArrayPool<bool>.Shared.Rent(count) : new bool[count];
                for (var i = 0; i < count; i++)
                {
                    booleans[i] = payload[at++] != 0;
                }

                return new SeriesColumns(measurement, tags, field, ts, booleans, count);
            case FieldKind.String:
                var strings = new string[count];
                for (var i = 0; i < count; i++)
                {
                    strings[i] = GetString(payload, ref at);
                }

                return new SeriesColumns(measurement, tags, field, ts, strings, count);
            default:
                throw new InvalidDataException($"ingest log record has an unknown field kind {(byte)kind}");
        }
    }

    private static int StringSize(string text) => 4 + Encoding.UTF8.GetByteCount(text);

    private static void PutString(Span<byte> span, ref int at, string text)
    {
        var length = Encoding.UTF8.GetBytes(text, span[(at + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], length);
        at += 4 + length;
    }

    private static string GetString(ReadOnlySpan<byte> payload, ref int at)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
        var text = Encoding.UTF8.GetString(payload.Slice(at + 4, length));
        at += 4 + length;
        return text;
    }

    // Little-endian hosts only (x64, arm64): the arrays are copied as they lie in memory.
    private static void PutArray<T>(Span<byte> span, ref int at, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }

    private static T[] GetArray<T>(ReadOnlySpan<byte> payload, ref int at, int count, bool pooled)
        where T : unmanaged
    {
        var result = pooled ? ArrayPool<T>.Shared.Rent(count) : new T[count];
        var bytes = MemoryMarshal.AsBytes(result.AsSpan(0, count));
        payload.Slice(at, bytes.Length).CopyTo(bytes);
        at += bytes.Length;
        return result;
    }
}
