using System.Collections.Concurrent;

namespace IotHub.Storage;

/// <summary>
/// The sealed blocks of the recent days (<see cref="StorageOptions.HotBlockDays"/>) kept in
/// memory, compressed as on disk, so range queries over them need no SQL. The commit loop
/// changes it before it commits the same change to the database, and reloads it after a failed
/// transaction; a query reads raw rows first and these blocks second, so a seal running between
/// the two reads can only show it a point twice (raw and sealed, the same value), never lose one.
/// </summary>
internal sealed class HotBlocks
{
    // Per series: (first day, part) -> block bytes, in day and part order. Replaced whole per change
    // (copy on write), read without locks.
    private readonly ConcurrentDictionary<int, SortedList<long, byte[]>> _bySeries = new();
    private volatile int _fromDay;

    // Bytes of the blocks held (the arrays' lengths), for the store's memory metrics.
    private long _bytes;

    public HotBlocks(int fromDay) => _fromDay = fromDay;

    /// <summary>Bytes of the blocks held in memory.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The first day held; days before it are read from the database.</summary>
    public int FromDay => _fromDay;

    /// <summary>Whether [<paramref name="fromDay"/>, ...) is all in memory.</summary>
    public bool Covers(int fromDay) => fromDay >= _fromDay;

    /// <summary>Sets or (with null) removes a block (part) of a series and span; days before <see cref="FromDay"/> are ignored.</summary>
    public void Set(int seriesId, int day, int part, byte[]? block)
    {
        if (day < _fromDay)
        {
            return;
        }

        // One writer (the commit loop), so the size replaced is the one the update below replaces.
        var key = Key(day, part);
        var replaced = _bySeries.TryGetValue(seriesId, out var current) && current.TryGetValue(key, out var old) ? old.Length : 0;
        Interlocked.Add(ref _bytes, (block?.Length ?? 0) - replaced);
        _bySeries.AddOrUpdate(
            seriesId,
            static (_, state) =>
            {
                var list = new SortedList<long, byte[]>();
                if (state.block is not null)
                {
                    list[state.key] = state.block;
                }

                return list;
            },
            static (_, existing, state) =>
            {
                var list = new SortedList<long, byte[]>(existing);
                if (state.block is null)
                {
                    list.Remove(state.key);
                }
                else
                {
                    list[state.key] = state.block;
                }

                return list;
            },
            (key, block));
    }

    /// <summary>The blocks of a series starting in [<paramref name="fromDay"/>, <paramref name="toDay"/>], by first day and part.</summary>
    public IEnumerable<(int Day, byte[] Block)> Range(int seriesId, int fromDay, int toDay)
    {
        if (!_bySeries.TryGetValue(seriesId, out var list))
        {
            yield break;
        }

        foreach (var (key, block) in list)
        {
            var day = (int)(key >> 16);
            if (day > toDay)
            {
                yield break;
            }

            if (day >= fromDay)
            {
                yield return (day, block);
            }
        }
    }

    /// <summary>The parts of one span (by its first day) in part order: none when it has no block in memory.</summary>
    public List<(int Part, byte[] Data)> Parts(int seriesId, int day)
    {
        var result = new List<(int Part, byte[] Data)>();
        if (_bySeries.TryGetValue(seriesId, out var list))
        {
            var first = Key(day, 0);
            for (var i = LowerBound(list.Keys, first); i < list.Count && list.Keys[i] >> 16 == day; i++)
            {
                result.Add(((int)(list.Keys[i] & 0xFFFF), list.Values[i]));
            }
        }

        return result;
    }

    /// <summary>Moves the window to start at <paramref name="fromDay"/> and drops older blocks.</summary>
    public void Advance(int fromDay)
    {
        if (fromDay <= _fromDay)
        {
            return;
        }

        _fromDay = fromDay;
        foreach (var (seriesId, list) in _bySeries)
        {
            if (list.Count > 0 && list.Keys[0] < Key(fromDay, 0))
            {
                Interlocked.Add(ref _bytes, -list.Where(kv => kv.Key < Key(fromDay, 0)).Sum(kv => (long)kv.Value.Length));
                _bySeries[seriesId] = new SortedList<long, byte[]>(list.Where(kv => kv.Key >= Key(fromDay, 0)).ToDictionary(kv => kv.Key, kv => kv.Value));
            }
        }
    }

    private static int LowerBound(IList<long> keys, long key)
    {
        int low = 0, high = keys.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (keys[middle] < key)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    // Parts are few (see DuckDbStore.MaxParts), so 16 bits hold them.
    private static long Key(int day, int part) => ((long)day << 16) | (uint)part;

    /// <summary>Forgets everything (before a reload).</summary>
    public void Clear()
    {
        _bySeries.Clear();
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>Holds nothing from now on: every range is read from the database.</summary>
    public void SwitchOff()
    {
        _fromDay = int.MaxValue;
        Clear();
    }
}
