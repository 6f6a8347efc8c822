namespace IotHub.Forecasting;

/// <summary>
/// Regularly sampled history: a time grid (start, step, length) and named columns of doubles,
/// NaN where nothing was observed. Training, backtests and serving all read frames, so the hub
/// fills one from its store exactly as the simulator or a CSV file does.
/// </summary>
public sealed class SeriesFrame
{
    private readonly Dictionary<string, double[]> _columns = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Creates an empty frame of <paramref name="length"/> rows from <paramref name="start"/> every <paramref name="step"/>.</summary>
    public SeriesFrame(DateTimeOffset start, TimeSpan step, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Start = start;
        Step = step;
        Length = length;
    }

    /// <summary>Time of row 0.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>Spacing of the rows.</summary>
    public TimeSpan Step { get; }

    /// <summary>Number of rows.</summary>
    public int Length { get; }

    /// <summary>Column names in the order they were added.</summary>
    public IReadOnlyList<string> ColumnNames => _order;

    /// <summary>Time of row <paramref name="index"/>.</summary>
    public DateTimeOffset TimeAt(int index) => Start + (Step * index);

    /// <summary>The row at or before <paramref name="time"/> (may be negative or past the end).</summary>
    public int IndexAtOrBefore(DateTimeOffset time) => (int)Math.Floor((time - Start) / Step);

    /// <summary>The values of a column; the array is the frame's own storage (writes go into the frame).</summary>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public double[] this[string column] =>
        _columns.TryGetValue(column, out var values) ? values : throw new KeyNotFoundException($"The frame has no column '{column}'.");

    /// <summary>True when the frame has the column.</summary>
    public bool Contains(string column) => _columns.ContainsKey(column);

    /// <summary>Adds a column filled with NaN (or returns the existing one).</summary>
    public double[] AddColumn(string column)
    {
        ArgumentException.ThrowIfNullOrEmpty(column);
        if (_columns.TryGetValue(column, out var existing))
        {
            return existing;
        }

        var values = new double[Length];
        Array.Fill(values, double.NaN);
        _columns.Add(column, values);
        _order.Add(column);
        return values;
    }

    /// <summary>Rows [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>) as a new frame (copies).</summary>
    public SeriesFrame Slice(int from, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from + count, Length);
        var slice = new SeriesFrame(TimeAt(from), Step, count);
        foreach (string name in _order)
        {
            Array.Copy(_columns[name], from, slice.AddColumn(name), 0, count);
        }

        return slice;
    }
}
