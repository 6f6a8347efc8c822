using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using IotHub.City;
using IotHub.Storage;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Ingest;

/// <summary>
/// Line protocol straight into per-series columns for <see cref="DuckDbStore.WriteColumnsAsync(IReadOnlyList{SeriesColumns}, UplinkBatch?, CancellationToken)"/>:
/// no object per point. A point's series set (measurement and tags) is looked up by its raw
/// unescaped bytes, so names become strings once per series set and write, not once per point.
/// Every point is checked as <see cref="TelemetryMapper"/> checks <see cref="Point"/> objects
/// (same order, same reasons, same words): bound to a device's kind (measurement, fields, types,
/// the device's tags), or unbound (admin token, TCP). A refused point leaves nothing behind.
/// </summary>
/// <remarks>
/// One instance serves one write at a time: <see cref="Start"/>, feed it with a
/// <see cref="LineProtocolReader"/> through <see cref="Sink"/>, <see cref="ToColumns"/>, write,
/// then <see cref="Clear"/> (returns the pooled column buffers). Instances are reused through
/// <see cref="Rent"/> and <see cref="Return"/>, or owned by one device's connection
/// (<see cref="ForConnection"/>): such an instance keeps its series sets and columns (names,
/// tags, the kind's checks, small buffers) from one write of the device to the next, since a
/// device writes the same series again and again.
/// </remarks>
internal sealed class LineColumns
{
    private const int PoolLimit = 32;
    private const int FirstCapacity = 16;

    // A connection's instance keeps at most this many columns from one write to the next (a device
    // writing ever new series starts afresh), and column buffers up to this many values.
    private const int MaxKeptColumns = 256;
    private const int MaxKeptCapacity = 64;
    private static readonly System.Collections.Concurrent.ConcurrentQueue<LineColumns> Pool = new();

    private readonly Dictionary<byte[], SeriesSet> _sets;
    private readonly Dictionary<byte[], SeriesSet>.AlternateLookup<ReadOnlySpan<byte>> _setLookup;
    private readonly List<FieldColumn> _columns = [];

    // The columns that took values in this write, in the order of their first value.
    private readonly List<FieldColumn> _written = [];
    private readonly bool _keepSeries;

    // The device the kept series sets were made for (they hold its tags and its kind's checks).
    private DeviceRecord? _seriesOf;
    private readonly List<Rejection> _rejections = [];
    private readonly TelemetryMapper _mapper;

    // The point being read: its series key (length-prefixed measurement, tag keys and values),
    // its fields, and the bytes of their names and string values.
    private byte[] _key = new byte[256];
    private int _keyLength;
    private int _tagCount;
    private PendingField[] _fields = new PendingField[16];
    private int _fieldCount;
    private byte[] _fieldBytes = new byte[256];
    private int _fieldBytesLength;
    private ResolvedField[] _resolved = new ResolvedField[16];
    private SeriesSet? _lastSet;

    private DeviceRecord? _device;
    private DeviceKind? _kind;
    private string? _kindProblem;
    private (long NowNs, long EarliestNs, long LatestNs) _window;

    private LineColumns(TelemetryMapper mapper, bool keepSeries)
    {
        _mapper = mapper;
        _keepSeries = keepSeries;
        _sets = new Dictionary<byte[], SeriesSet>(ByteKeyComparer.Instance);
        _setLookup = _sets.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Points read so far that were well-formed (refused or not): the index of the next one.</summary>
    public int PointsRead { get; private set; }

    /// <summary>Points accepted into the columns.</summary>
    public int PointsAccepted { get; private set; }

    /// <summary>Values (fields) accepted into the columns.</summary>
    public int ValuesAccepted { get; private set; }

    /// <summary>Points refused by the checks, in input order.</summary>
    public IReadOnlyList<Rejection> Rejections => _rejections;

    /// <summary>A sink for <see cref="LineProtocolReader.ReadNext{TSink}"/> that feeds this instance.</summary>
    public Sink AsSink() => new(this);

    /// <summary>An instance from the pool, or a new one.</summary>
    public static LineColumns Rent(TelemetryMapper mapper) =>
        Pool.TryDequeue(out var columns) && ReferenceEquals(columns._mapper, mapper) ? columns : new LineColumns(mapper, keepSeries: false);

    /// <summary>
    /// An instance for one connection's writes, one at a time (never <see cref="Return"/>ed): it
    /// keeps the series of a device's write for its next write, as long as the device record is
    /// the same and they are not too many.
    /// </summary>
    public static LineColumns ForConnection(TelemetryMapper mapper) => new(mapper, keepSeries: true);

    /// <summary>Clears an instance and keeps it for reuse (up to a few; the rest are left to the GC).</summary>
    public static void Return(LineColumns columns)
    {
        columns.Clear();
        if (Pool.Count < PoolLimit)
        {
            Pool.Enqueue(columns);
        }
    }

    /// <summary>Starts a write: bound to <paramref name="device"/>'s kind, or unbound when it is <c>null</c>.</summary>
    public void Start(DeviceRecord? device)
    {
        var keep = _keepSeries && device is not null && ReferenceEquals(device, _seriesOf) && _columns.Count <= MaxKeptColumns;
        Reset(keep);
        _seriesOf = device;
        _device = device;
        _kind = null;
        _kindProblem = null;
        if (device is not null && !DeviceKinds.TryGet(device.Kind, out _kind))
        {
            // Every point of the write is refused (TelemetryMapper refuses such a device too).
            _kindProblem = $"device '{device.Id}' has unknown kind '{device.Kind}'";
        }

        _window = _mapper.Window();
    }

    /// <summary>
    /// Forgets the write and returns its column buffers to their pools (a connection's instance
    /// keeps small ones, and its series, for the device's next write).
    /// </summary>
    public void Clear() => Reset(_keepSeries);

    private void Reset(bool keepSeries)
    {
        if (keepSeries)
        {
            foreach (var column in _written)
            {
                column.Empty(MaxKeptCapacity);
            }
        }
        else
        {
            foreach (var column in _columns)
            {
                column.ReturnBuffers();
            }

            _columns.Clear();
            _sets.Clear();
            _lastSet = null;
            _seriesOf = null;
        }

        _written.Clear();
        _rejections.Clear();
        _device = null;
        _kind = null;
        PointsRead = 0;
        PointsAccepted = 0;
        ValuesAccepted = 0;
    }

    /// <summary>
    /// The accepted values as one <see cref="SeriesColumns"/> per series. They share this
    /// instance's buffers: call <see cref="Clear"/> only after the write completed.
    /// </summary>
    public List<SeriesColumns> ToColumns()
    {
        var result = new List<SeriesColumns>(_written.Count);
        foreach (var column in _written)
        {
            result.Add(column.ToSeriesColumns());
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BeginPoint(ReadOnlySpan<byte> measurement)
    {
        _keyLength = 0;
        _tagCount = 0;
        _fieldCount = 0;
        _fieldBytesLength = 0;
        AppendKey(measurement);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _tagCount++;
        AppendKey(key);
        AppendKey(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddField(ReadOnlySpan<byte> key, FieldKind kind, long bits, ReadOnlySpan<byte> text)
    {
        if (_fieldCount == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
            Array.Resize(ref _resolved, _resolved.Length * 2);
        }

        var keyStart = AppendFieldBytes(key);
        var textStart = kind == FieldKind.String ? AppendFieldBytes(text) : 0;
        _fields[_fieldCount++] = new PendingField(keyStart, key.Length, kind, bits, textStart, text.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EndPoint(long timestampNs)
    {
        var index = PointsRead++;
        var set = FindSet();
        if (set.Reason is { } setReason)
        {
            Reject(index, set.Measurement, setReason, set.Problem!);
            return;
        }

        // Fields in line order, as TelemetryMapper checks them; then the timestamp.
        for (var f = 0; f < _fieldCount; f++)
        {
            ref readonly var pending = ref _fields[f];
            var column = FindColumn(set, f, in pending);
            var value = pending.Value(_fieldBytes);
            if (column.Spec is { } spec)
            {
                if (!TelemetryMapper.TryCoerce(spec, value, out value, out var reason, out var problem))
                {
                    Reject(index, set.Measurement, reason, problem!);
                    return;
                }
            }
            else if (_kind is not null)
            {
                Reject(index, set.Measurement, RejectReason.UnknownField, TelemetryMapper.UnknownFieldProblem(_kind, column.Name));
                return;
            }
            else if (value.Kind == FieldKind.Float && !double.IsFinite(value.AsFloat))
            {
                Reject(index, set.Measurement, RejectReason.NonFiniteValue, TelemetryMapper.NonFiniteProblem(column.Name, value.AsFloat));
                return;
            }

            _resolved[f] = new ResolvedField(column, value);
        }

        if (TelemetryMapper.TimestampProblem(timestampNs, _window) is { } late)
        {
            Reject(index, set.Measurement, RejectReason.TimestampOutOfRange, late);
            return;
        }

        for (var f = 0; f < _fieldCount; f++)
        {
            var column = _resolved[f].Column;
            if (column.Count == 0)
            {
                _written.Add(column);
            }

            column.Add(timestampNs, _resolved[f].Value);
        }

        PointsAccepted++;
        ValuesAccepted += _fieldCount;
    }

    private void Reject(int index, string measurement, RejectReason reason, string problem) =>
        _rejections.Add(new Rejection(index, measurement, reason, problem));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SeriesSet FindSet()
    {
        var key = _key.AsSpan(0, _keyLength);
        if (_lastSet is not null && key.SequenceEqual(_lastSet.Key))
        {
            return _lastSet;
        }

        if (!_setLookup.TryGetValue(key, out var set))
        {
            set = CreateSet(key.ToArray());
            _sets.Add(set.Key, set);
        }

        _lastSet = set;
        return set;
    }

    private SeriesSet CreateSet(byte[] key)
    {
        var offset = 0;
        var measurement = ReadKeyString(key, ref offset);
        var written = new List<KeyValuePair<string, string>>(_tagCount);
        while (offset < key.Length)
        {
            var tagKey = ReadKeyString(key, ref offset);
            written.Add(new(tagKey, ReadKeyString(key, ref offset)));
        }

        if (_kindProblem is not null)
        {
            return new SeriesSet(key, measurement, [], RejectReason.UnknownField, _kindProblem);
        }

        if (_kind is null)
        {
            return written.Count > _mapper.MaxTagsPerPoint
                ? new SeriesSet(key, measurement, [], RejectReason.TooManyTags, _mapper.TooManyTagsProblem(written.Count))
                : new SeriesSet(key, measurement, [.. written], null, null);
        }

        if (TelemetryMapper.MeasurementProblem(_kind, measurement) is { } problem)
        {
            return new SeriesSet(key, measurement, [], RejectReason.UnknownMeasurement, problem);
        }

        var tags = TelemetryMapper.DeviceTags(_device!, written);
        return tags.Count > _mapper.MaxTagsPerPoint
            ? new SeriesSet(key, measurement, [], RejectReason.TooManyTags, _mapper.TooManyTagsProblem(tags.Count))
            : new SeriesSet(key, measurement, [.. tags], null, null);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private FieldColumn FindColumn(SeriesSet set, int position, in PendingField pending)
    {
        var name = _fieldBytes.AsSpan(pending.KeyStart, pending.KeyLength);

        // Bound writes have one column per field (values are converted to the kind's type);
        // unbound writes one per field and written type (the store refuses a type change).
        var kind = _kind is null ? pending.Kind : (FieldKind?)null;
        var byPosition = set.ByPosition;
        if (position < byPosition.Count && byPosition[position].Matches(name, kind))
        {
            return byPosition[position];
        }

        FieldColumn? found = null;
        foreach (var column in set.Columns)
        {
            if (column.Matches(name, kind))
            {
                found = column;
                break;
            }
        }

        if (found is null)
        {
            var fieldName = Encoding.UTF8.GetString(name);
            var spec = _kind?.FindField(fieldName);
            found = new FieldColumn(set, name.ToArray(), fieldName, kind, spec, spec?.Type ?? pending.Kind);
            set.Columns.Add(found);
            _columns.Add(found);
        }

        if (position < byPosition.Count)
        {
            byPosition[position] = found;
        }
        else if (position == byPosition.Count)
        {
            byPosition.Add(found);
        }

        return found;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AppendKey(ReadOnlySpan<byte> part)
    {
        var needed = _keyLength + 4 + part.Length;
        if (needed > _key.Length)
        {
            Array.Resize(ref _key, Math.Max(needed, _key.Length * 2));
        }

        BinaryPrimitives.WriteInt32LittleEndian(_key.AsSpan(_keyLength), part.Length);
        part.CopyTo(_key.AsSpan(_keyLength + 4));
        _keyLength = needed;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AppendFieldBytes(ReadOnlySpan<byte> part)
    {
        var start = _fieldBytesLength;
        if (start + part.Length > _fieldBytes.Length)
        {
            Array.Resize(ref _fieldBytes, Math.Max(start + part.Length, _fieldBytes.Length * 2));
        }

        part.CopyTo(_fieldBytes.AsSpan(start));
        _fieldBytesLength = start + part.Length;
        return start;
    }

    private static string ReadKeyString(byte[] key, ref int offset)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(key.AsSpan(offset));
        var text = Encoding.UTF8.GetString(key, offset + 4, length);
        offset += 4 + length;
        return text;
    }

    /// <summary>A point the checks refused: its index among the well-formed points, why, and the words for it.</summary>
    /// <param name="Index">0-based index among the well-formed points of the write.</param>
    /// <param name="Measurement">The point's measurement.</param>
    /// <param name="Reason">Why.</param>
    /// <param name="Problem">What is wrong, without the point's index.</param>
    internal readonly record struct Rejection(int Index, string Measurement, RejectReason Reason, string Problem);

    /// <summary>Feeds a <see cref="LineColumns"/> from the reader (a struct, so the reader's calls are direct).</summary>
    internal readonly struct Sink(LineColumns target) : ILineProtocolSink
    {
        public void BeginPoint(ReadOnlySpan<byte> measurement) => target.BeginPoint(measurement);

        public void AddTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => target.AddTag(key, value);

        public void AddFloatField(ReadOnlySpan<byte> key, double value) => target.AddField(key, FieldKind.Float, BitConverter.DoubleToInt64Bits(value), default);

        public void AddIntegerField(ReadOnlySpan<byte> key, long value) => target.AddField(key, FieldKind.Integer, value, default);

        public void AddUIntegerField(ReadOnlySpan<byte> key, ulong value) => target.AddField(key, FieldKind.UInteger, unchecked((long)value), default);

        public void AddBooleanField(ReadOnlySpan<byte> key, bool value) => target.AddField(key, FieldKind.Boolean, value ? 1 : 0, default);

        public void AddStringField(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => target.AddField(key, FieldKind.String, 0, value);

        public void EndPoint(long timestampNs) => target.EndPoint(timestampNs);
    }

    private readonly record struct PendingField(int KeyStart, int KeyLength, FieldKind Kind, long Bits, int TextStart, int TextLength)
    {
        public FieldValue Value(byte[] bytes) => Kind switch
        {
            FieldKind.Float => FieldValue.FromFloat(BitConverter.Int64BitsToDouble(Bits)),
            FieldKind.Integer => FieldValue.FromInteger(Bits),
            FieldKind.UInteger => FieldValue.FromUInteger(unchecked((ulong)Bits)),
            FieldKind.Boolean => FieldValue.FromBoolean(Bits != 0),
            _ => FieldValue.FromString(Encoding.UTF8.GetString(bytes, TextStart, TextLength)),
        };
    }

    private readonly record struct ResolvedField(FieldColumn Column, FieldValue Value);

    /// <summary>A measurement and tag set of the write, and the refusal that applies to all its points, if any.</summary>
    private sealed class SeriesSet(byte[] key, string measurement, KeyValuePair<string, string>[] tags, RejectReason? reason, string? problem)
    {
        public byte[] Key { get; } = key;

        public string Measurement { get; } = measurement;

        public KeyValuePair<string, string>[] Tags { get; } = tags;

        public RejectReason? Reason { get; } = reason;

        public string? Problem { get; } = problem;

        public List<FieldColumn> Columns { get; } = [];

        // The column of the field at each position of the previous point: lines of one series
        // mostly list the same fields in the same order.
        public List<FieldColumn> ByPosition { get; } = [];
    }

    /// <summary>The values of one series of the write, in pooled buffers.</summary>
    private sealed class FieldColumn(SeriesSet set, byte[] nameBytes, string name, FieldKind? writtenKind, FieldSpec? spec, FieldKind kind)
    {
        private long[] _timestamps = [];
        private double[]? _floats;
        private long[]? _integers;
        private ulong[]? _unsigned;
        private bool[]? _booleans;
        private string[]? _strings;

        public string Name { get; } = name;

        public FieldSpec? Spec { get; } = spec;

        public int Count { get; private set; }

        public bool Matches(ReadOnlySpan<byte> name, FieldKind? kind) => writtenKind == kind && name.SequenceEqual(nameBytes);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(long timestampNs, in FieldValue value)
        {
            if (Count == _timestamps.Length)
            {
                Grow();
            }

            _timestamps[Count] = timestampNs;
            switch (kind)
            {
                case FieldKind.Float:
                    _floats![Count] = value.AsFloat;
                    break;
                case FieldKind.Integer:
                    _integers![Count] = value.AsInteger;
                    break;
                case FieldKind.UInteger:
                    _unsigned![Count] = value.AsUInteger;
                    break;
                case FieldKind.Boolean:
                    _booleans![Count] = value.AsBoolean;
                    break;
                default:
                    _strings![Count] = value.AsString;
                    break;
            }

            Count++;
        }

        public SeriesColumns ToSeriesColumns() => kind switch
        {
            FieldKind.Float => new SeriesColumns(set.Measurement, set.Tags, Name, _timestamps, _floats!, Count),
            FieldKind.Integer => new SeriesColumns(set.Measurement, set.Tags, Name, _timestamps, _integers!, Count),
            FieldKind.UInteger => new SeriesColumns(set.Measurement, set.Tags, Name, _timestamps, _unsigned!, Count),
            FieldKind.Boolean => new SeriesColumns(set.Measurement, set.Tags, Name, _timestamps, _booleans!, Count),
            _ => new SeriesColumns(set.Measurement, set.Tags, Name, _timestamps, _strings!, Count),
        };

        /// <summary>Drops the values; keeps the buffers when they hold at most <paramref name="maxCapacity"/>.</summary>
        public void Empty(int maxCapacity)
        {
            if (_timestamps.Length > maxCapacity)
            {
                ReturnBuffers();
                return;
            }

            if (_strings is not null)
            {
                Array.Clear(_strings, 0, Count);
            }

            Count = 0;
        }

        public void ReturnBuffers()
        {
            ReturnArray(_timestamps);
            ReturnArray(_floats);
            ReturnArray(_integers);
            ReturnArray(_unsigned);
            ReturnArray(_booleans);
            if (_strings is not null)
            {
                ArrayPool<string>.Shared.Return(_strings, clearArray: true);
            }

            _timestamps = [];
            _floats = null;
            _integers = null;
            _unsigned = null;
            _booleans = null;
            _strings = null;
            Count = 0;
        }

        private static void ReturnArray<T>(T[]? array)
        {
            if (array is { Length: > 0 })
            {
                ArrayPool<T>.Shared.Return(array);
            }
        }

        private void Grow()
        {
            var capacity = Math.Max(FirstCapacity, Count * 2);
            _timestamps = Grown(_timestamps, capacity, Count);
            switch (kind)
            {
                case FieldKind.Float:
                    _floats = Grown(_floats ?? [], capacity, Count);
                    break;
                case FieldKind.Integer:
                    _integers = Grown(_integers ?? [], capacity, Count);
                    break;
                case FieldKind.UInteger:
                    _unsigned = Grown(_unsigned ?? [], capacity, Count);
                    break;
                case FieldKind.Boolean:
                    _booleans = Grown(_booleans ?? [], capacity, Count);
                    break;
                default:
                    var strings = ArrayPool<string>.Shared.Rent(capacity);
                    (_strings ?? []).AsSpan(0, Count).CopyTo(strings);
                    if (_strings is not null)
                    {
                        ArrayPool<string>.Shared.Return(_strings, clearArray: true);
                    }

                    _strings = strings;
                    break;
            }
        }

        private static T[] Grown<T>(T[] old, int capacity, int count)
        {
            var array = ArrayPool<T>.Shared.Rent(capacity);
            old.AsSpan(0, count).CopyTo(array);
            ReturnArray(old);
            return array;
        }
    }

    /// <summary>Byte-array keys compared by content, looked up by span without copying.</summary>
    private sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteKeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
