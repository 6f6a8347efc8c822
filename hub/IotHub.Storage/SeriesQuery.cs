namespace IotHub.Storage;

/// <summary>A range query over the series of one measurement and field.</summary>
/// <param name="Measurement">Measurement name.</param>
/// <param name="Field">Field name.</param>
/// <param name="Tags">Tags a series must carry (all of them, exact values).</param>
/// <param name="FromNs">Start, inclusive, ns since the epoch.</param>
/// <param name="ToNs">End, exclusive.</param>
/// <param name="StepNs">Bucket width in ns for an aggregated answer, or <c>null</c> for raw points.</param>
/// <param name="Aggregate">How each bucket is combined (ignored for raw points).</param>
/// <param name="RowLimit">Most points the answer may hold; a larger answer is refused, never cut silently.</param>
public sealed record SeriesQuery(
    string Measurement,
    string Field,
    IReadOnlyDictionary<string, string> Tags,
    long FromNs,
    long ToNs,
    long? StepNs,
    Aggregate Aggregate,
    int RowLimit)
{
    /// <summary>
    /// Raw points or a rollup for an aggregated query. Default <see cref="QueryResolution.Auto"/>.
    /// A rollup answer covers whole rollup buckets: its buckets start at a whole minute or hour
    /// (the start is rounded down to one) and its last bucket holds every point of that bucket.
    /// </summary>
    public QueryResolution Resolution { get; init; } = QueryResolution.Auto;
}
