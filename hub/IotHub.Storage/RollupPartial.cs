namespace IotHub.Storage;

/// <summary>
/// A mergeable aggregate of some points of one series in one rollup bucket: min, max, sum and
/// count merge by min/max/sum/sum, and "last" by the latest timestamp. Built from points in time
/// order (queries, and retention when it turns expiring points into rollup rows); merged with
/// stored rollup rows of the same output bucket.
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

    /// <summary>Adds another partial of the same bucket (of points that do not replace these).</summary>
    public void Merge(in RollupPartial other)
    {
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
        Sum += other.Sum;
        Count += other.Count;
        if (other.LastTs >= LastTs)
        {
            LastTs = other.LastTs;
            Last = other.Last;
        }
    }
}
