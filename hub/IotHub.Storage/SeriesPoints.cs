namespace IotHub.Storage;

/// <summary>The answer for one series: (time ns, value) pairs in time order.</summary>
/// <param name="Series">The series.</param>
/// <param name="Points">Time (bucket start for aggregates) and value.</param>
public sealed record SeriesPoints(SeriesInfo Series, IReadOnlyList<(long TimestampNs, double Value)> Points);
