using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// The payload of one ingest log record: one acknowledged write (its already validated columns
/// and its uplink batch, if any) in a compact little-endian binary form.
/// <code>
/// u8 flags (bit 0: has uplink batch, bit 1: compact) [str device, u64 sequence], i64 accepted (ns since the epoch)
/// u32 values, u32 columns, then per column:
///   str measurement, u16 tags, (str key, str value) per tag, str field, u8 kind, u32 count,
///   timestamps, values[count]
/// str = u32 UTF-8 length + bytes
/// </code>
/// Compact records (all written now): bit 7 of a column's kind byte says its timestamps are those
/// of the column before it (the fields of one line), and then none follow; otherwise each
/// timestamp is the zigzag varint of its difference to the one before (the first's to 0). Values:
/// f64 as 8 bytes, i64 zigzag varint, u64 varint, u8 0/1, or str each. Records without the compact
/// flag (written before it, replayed after an upgrade) hold i64[count] timestamps and 8-byte
/// integers. With readings a second apart and three fields a line, a line takes 22 bytes instead
/// of 48: the log writes less, and its backlog limit holds twice the points.
/// The framing (length and checksum) is <see cref="IngestLog"/>'s.
/// </summary>
internal static class IngestLogRecord
{
    private const byte HasBatch = 1;
    private const byte Compact = 2;

    // In a compact record's kind byte: the column's timestamps are the previous column's.
    private const byte SharedTimestamps = 0x80;

    /// <summary>
    /// Serializes a write into a pooled buffer with <paramref name="headerBytes"/> free bytes in
    /// front (for the log's framing). Returns the buffer and the payload length.
    /// </summary>
    public static (byte[] Buffer, int PayloadLength) Write(IReadOnlyList<SeriesColumns> columns, UplinkBatch? batch, long acceptedNs, int headerBytes)
    {
        var size = 1 + 8 + 4 + 4 + (batch is { } b ? StringSize(b.Device) + 8 : 0);
        SeriesColumns? previous = null;
        foreach (var column in columns)
        {
            size += ColumnSize(column, previous);
            previous = column;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(headerBytes + size);
        var span = buffer.AsSpan(headerBytes, size);
        var at = 0;
        span[at++] = batch is null ? Compact : (byte)(Compact | HasBatch);
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
        previous = null;
        foreach (var column in columns)
        {
            PutColumn(span, ref at, column, previous);
            previous = column;
        }

        return at == size ? (buffer, size) : throw new InvalidOperationException($"ingest log record of {at} bytes, {size} expected");
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
            var compact = (flags & Compact) != 0;
            SeriesColumns? previous = null;
            for (var i = 0; i < count; i++)
            {
                previous = compact ? GetCompactColumn(payload, ref at, pooled, previous) : GetColumn(payload, ref at, pooled);
                columns.Add(previous);
            }

            if (at != payload.Length)
            {
                throw new InvalidDataException($"ingest log record has {payload.Length - at} bytes after its last column");
            }

            return (columns, batch, acceptedNs);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
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

    /// <summary>Whether a column's timestamps are those of the column written before it (then it writes none).</summary>
    private static bool SameTimestamps(SeriesColumns column, SeriesColumns? previous) =>
        previous is not null && previous.Count == column.Count
        && (ReferenceEquals(previous.TimestampsNs, column.TimestampsNs)
            || previous.TimestampsNs.AsSpan(0, column.Count).SequenceEqual(column.TimestampsNs.AsSpan(0, column.Count)));

    private static int ColumnSize(SeriesColumns column, SeriesColumns? previous)
    {
        var count = column.Count;
        var size = StringSize(column.Measurement) + 2 + StringSize(column.Field) + 1 + 4;
        foreach (var tag in column.Tags)
        {
            size += StringSize(tag.Key) + StringSize(tag.Value);
        }

        if (!SameTimestamps(column, previous))
        {
            var last = 0L;
            foreach (var ts in column.TimestampsNs.AsSpan(0, count))
            {
                size += VarintSize(ZigZag(unchecked(ts - last)));
                last = ts;
            }
        }

        switch (column.Kind)
        {
            case FieldKind.Float:
                size += count * 8;
                break;
            case FieldKind.Integer:
                foreach (var value in column.Integers.AsSpan(0, count))
                {
                    size += VarintSize(ZigZag(value));
                }

                break;
            case FieldKind.UInteger:
                foreach (var value in column.UIntegers.AsSpan(0, count))
                {
                    size += VarintSize(value);
                }

                break;
            case FieldKind.Boolean:
                size += count;
                break;
            default:
                var strings = column.Strings!;
                for (var i = 0; i < count; i++)
                {
                    size += StringSize(strings[i]);
                }

                break;
        }

        return size;
    }

    private static void PutColumn(Span<byte> span, ref int at, SeriesColumns column, SeriesColumns? previous)
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
        var shared = SameTimestamps(column, previous);
        span[at++] = (byte)((byte)column.Kind | (shared ? SharedTimestamps : 0));
        var count = column.Count;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], count);
        at += 4;
        if (!shared)
        {
            var last = 0L;
            foreach (var ts in column.TimestampsNs.AsSpan(0, count))
            {
                PutVarint(span, ref at, ZigZag(unchecked(ts - last)));
                last = ts;
            }
        }

        switch (column.Kind)
        {
            case FieldKind.Float:
                PutArray(span, ref at, column.Floats.AsSpan(0, count));
                break;
            case FieldKind.Integer:
                foreach (var value in column.Integers.AsSpan(0, count))
                {
                    PutVarint(span, ref at, ZigZag(value));
                }

                break;
            case FieldKind.UInteger:
                foreach (var value in column.UIntegers.AsSpan(0, count))
                {
                    PutVarint(span, ref at, value);
                }

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

    /// <summary>Reads a column of a compact record; <paramref name="previous"/> is the column read before it, if any.</summary>
    private static SeriesColumns GetCompactColumn(ReadOnlySpan<byte> payload, ref int at, bool pooled, SeriesColumns? previous)
    {
        var measurement = GetString(payload, ref at);
        var tags = GetTags(payload, ref at);
        var field = GetString(payload, ref at);
        var kindByte = payload[at++];
        var kind = (FieldKind)(kindByte & ~SharedTimestamps);
        var count = GetCount(payload, ref at);
        var ts = pooled ? ArrayPool<long>.Shared.Rent(count) : new long[count];
        if ((kindByte & SharedTimestamps) != 0)
        {
            if (previous is null || previous.Count != count)
            {
                throw new InvalidDataException("ingest log record shares timestamps with a column that has not as many");
            }

            // A copy: each column's arrays go back to the pool on their own.
            previous.TimestampsNs.AsSpan(0, count).CopyTo(ts);
        }
        else
        {
            var last = 0L;
            for (var i = 0; i < count; i++)
            {
                last = unchecked(last + UnZigZag(GetVarint(payload, ref at)));
                ts[i] = last;
            }
        }

        switch (kind)
        {
            case FieldKind.Float:
                return new SeriesColumns(measurement, tags, field, ts, GetArray<double>(payload, ref at, count, pooled), count);
            case FieldKind.Integer:
                var integers = pooled ? ArrayPool<long>.Shared.Rent(count) : new long[count];
                for (var i = 0; i < count; i++)
                {
                    integers[i] = UnZigZag(GetVarint(payload, ref at));
                }

                return new SeriesColumns(measurement, tags, field, ts, integers, count);
            case FieldKind.UInteger:
                var unsigned = pooled ? ArrayPool<ulong>.Shared.Rent(count) : new ulong[count];
                for (var i = 0; i < count; i++)
                {
                    unsigned[i] = GetVarint(payload, ref at);
                }

                return new SeriesColumns(measurement, tags, field, ts, unsigned, count);
            default:
                return GetOtherValues(payload, ref at, kind, measurement, tags, field, ts, count, pooled);
        }
    }

    private static SeriesColumns GetColumn(ReadOnlySpan<byte> payload, ref int at, bool pooled)
    {
        var measurement = GetString(payload, ref at);
        var tags = GetTags(payload, ref at);
        var field = GetString(payload, ref at);
        var kind = (FieldKind)payload[at++];
        var count = GetCount(payload, ref at);
        var ts = GetArray<long>(payload, ref at, count, pooled);
        return kind switch
        {
            FieldKind.Float => new SeriesColumns(measurement, tags, field, ts, GetArray<double>(payload, ref at, count, pooled), count),
            FieldKind.Integer => new SeriesColumns(measurement, tags, field, ts, GetArray<long>(payload, ref at, count, pooled), count),
            FieldKind.UInteger => new SeriesColumns(measurement, tags, field, ts, GetArray<ulong>(payload, ref at, count, pooled), count),
            _ => GetOtherValues(payload, ref at, kind, measurement, tags, field, ts, count, pooled),
        };
    }

    private static KeyValuePair<string, string>[] GetTags(ReadOnlySpan<byte> payload, ref int at)
    {
        var tagCount = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
        at += 2;
        var tags = new KeyValuePair<string, string>[tagCount];
        for (var i = 0; i < tagCount; i++)
        {
            var key = GetString(payload, ref at);
            tags[i] = new(key, GetString(payload, ref at));
        }

        return tags;
    }

    private static int GetCount(ReadOnlySpan<byte> payload, ref int at)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
        at += 4;
        return count < 0 || count > payload.Length
            ? throw new InvalidDataException($"ingest log record declares {count} values in a column")
            : count;
    }

    /// <summary>Boolean and string values (the same in both record forms).</summary>
    private static SeriesColumns GetOtherValues(ReadOnlySpan<byte> payload, ref int at, FieldKind kind, string measurement, KeyValuePair<string, string>[] tags, string field, long[] ts, int count, bool pooled)
    {
        switch (kind)
        {
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

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private static int VarintSize(ulong value) => value < 0x80 ? 1 : (BitOperations.Log2(value) / 7) + 1;

    private static void PutVarint(Span<byte> span, ref int at, ulong value)
    {
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[at++] = (byte)value;
    }

    private static ulong GetVarint(ReadOnlySpan<byte> payload, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = payload[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("ingest log record has a varint longer than 10 bytes");
    }

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
