using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// <see cref="BlockPoints"/> reused from one compaction pass to the next (and from one chunk of
/// series of a query or export to the next). A pass reads up to
/// <c>SeriesPerSealPass</c> series' raw rows into one instance each and encodes them; allocated
/// afresh, those arrays (the raw rows of a whole pass) live for the seconds a pass takes, are
/// promoted and die in gen2, where the server GC leaves them until a rare full collection: under
/// sustained writes that is most of the hub's heap. Not thread-safe: one user at a time (the
/// commit loop, which runs the compactions, or one query).
/// </summary>
/// <param name="maxPooledPoints">
/// What stays pooled between passes is bounded by this many points (16 bytes each; the store
/// passes four times its compaction threshold, what a pass under sustained writes reads), so a
/// burst of one huge pass does not keep its memory for ever.
/// </param>
internal sealed class BlockPointsPool(long maxPooledPoints)
{
    private const int MaxPooled = 8_192;

    private readonly Stack<BlockPoints> _free = new();
    private readonly List<BlockPoints> _rented = [];
    private long _freePoints;

    /// <summary>An empty instance for <paramref name="capacity"/> points of <paramref name="kind"/>, until <see cref="ReturnAll"/>.</summary>
    public BlockPoints Rent(FieldKind kind, int capacity)
    {
        BlockPoints points;
        if (_free.TryPop(out var pooled))
        {
            points = pooled;
            _freePoints -= pooled.Timestamps.Length;
        }
        else
        {
            points = new BlockPoints();
        }

        points.Reset(kind, capacity);
        _rented.Add(points);
        return points;
    }

    /// <summary>Takes back every instance rented since the last call; none may be used after it.</summary>
    public void ReturnAll()
    {
        foreach (var points in _rented)
        {
            points.Release();
            if (_free.Count < MaxPooled && _freePoints + points.Timestamps.Length <= maxPooledPoints)
            {
                _free.Push(points);
                _freePoints += points.Timestamps.Length;
            }
        }

        _rented.Clear();
    }
}
