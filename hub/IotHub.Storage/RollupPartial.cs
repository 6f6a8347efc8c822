namespace IotHub.Storage;

/// <summary>
/// A mergeable aggregate of some points of one series in one rollup bucket: min, max, sum and
/// count merge by min/max/sum/sum, and "last" by the latest timestamp. Merging is exact only for
/// points that never replace each other, so the commit path builds partials from in-order points
/// only and recomputes a bucket from raw points when a late or repeated point touches it.
/// </summary>
internal struct RollupPartial
{
    public bool Active;
    public long Bucket;
    public double Min;
    public double Max;
    public double Sum;
    public long Count;
    public long LastTs;
    public double Last;

    public void Start(long bucket, long timestampNs, double value)
    {
        Active = true;
        Bucket = bucket;
        Min = value;
        Max = value;
        Sum = value;
        Count = 1;
        LastTs = timestampNs;
        Last = value;
    }

    /// <summary>Adds a point later than every point already in the partial.</summary>
    public void AddLater(long timestampNs, double value)
    {
        if (value < Min)
        {
            Min = value;
        }

        if (value > Max)
        {
            Max = value;
        }

        Sum += value;
        Count++;
        LastTs = timestampNs;
        Last = value;
    }
}
