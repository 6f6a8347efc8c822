using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// Many points of one series as columns: the lean write path (no <see cref="Point"/> per value).
/// Timestamps need not be sorted; values are floats or signed integers. The arrays are read when
/// the write is committed, so the caller must not change them until the write completes.
/// </summary>
public sealed class SeriesColumns
{
    private string? _key;

    /// <summary>Float values.</summary>
    public SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, long[] timestampsNs, double[] values, int count)
        : this(measurement, tags, field, FieldKind.Float, timestampsNs, count)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, values.Length);
        Floats = values;
    }

    /// <summary>Signed integer values.</summary>
    public SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, long[] timestampsNs, long[] values, int count)
        : this(measurement, tags, field, FieldKind.Integer, timestampsNs, count)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, values.Length);
        Integers = values;
    }

    private SeriesColumns(string measurement, IEnumerable<KeyValuePair<string, string>> tags, string field, FieldKind kind, long[] timestampsNs, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        ArgumentException.ThrowIfNullOrEmpty(field);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(timestampsNs);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, timestampsNs.Length);
        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        Measurement = measurement;
        Tags = sorted;
        Field = field;
        Kind = kind;
        TimestampsNs = timestampsNs;
        Count = count;
    }

    /// <summary>Measurement name.</summary>
    public string Measurement { get; }

    /// <summary>Tags sorted by key.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    /// <summary>Field name.</summary>
    public string Field { get; }

    /// <summary><see cref="FieldKind.Float"/> or <see cref="FieldKind.Integer"/>.</summary>
    public FieldKind Kind { get; }

    /// <summary>Timestamps, ns since the epoch; the first <see cref="Count"/> are used.</summary>
    public long[] TimestampsNs { get; }

    /// <summary>Float values, when <see cref="Kind"/> is <see cref="FieldKind.Float"/>.</summary>
    public double[]? Floats { get; }

    /// <summary>Integer values, when <see cref="Kind"/> is <see cref="FieldKind.Integer"/>.</summary>
    public long[]? Integers { get; }

    /// <summary>Number of points.</summary>
    public int Count { get; }

    // Computed once: a caller that writes the same columns object again skips the key building.
    internal string Key => _key ??= SeriesKey.Create(Measurement, Tags, Field);

    internal FieldValue ValueAt(int index) =>
        Kind == FieldKind.Float ? FieldValue.FromFloat(Floats![index]) : FieldValue.FromInteger(Integers![index]);

    internal double NumberAt(int index) => Kind == FieldKind.Float ? Floats![index] : Integers![index];
}
