using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using DuckDB.NET.Data;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// Sealed blocks: compaction moves raw rows into one compressed block per series and span of UTC
/// days (<see cref="BlockCodec"/>), merging them with the block already there (a raw row wins over a
/// block point of the same time). Reads decode blocks in C# and lay raw rows over them; retention
/// turns expiring points into rollup rows before it deletes them. Everything that changes blocks
/// runs on the commit loop, in one transaction with the rows it moves.
/// </summary>
public sealed partial class DuckDbStore
{
    // Series sealed per pass of a compaction: bounds the raw rows held in memory at once.
    private const int SeriesPerSealPass = 1_024;

    // A block spans 1, 2, 4 or 8 days (aligned to multiples of its span since the epoch), chosen
    // per series at its first seal so a block holds about BlockTargetPoints points: bigger blocks
    // compress better, and a series reporting every 10 minutes has 144 points a day.
    private const int MaxSpanDays = 8;
    private const int BlockTargetPoints = 1_000;

    // Span of each series with blocks (loaded at open, chosen at a series' first seal).
    private readonly ConcurrentDictionary<int, int> _spanDays = new();

    // Per series with raw rows: no raw row of it is older than this (a lower bound). A query whose
    // range ends before it reads no raw rows of that series. Changed by the commit loop only,
    // before the writes it describes are acknowledged.
    private readonly ConcurrentDictionary<int, long> _rawFrom = new();

    /// <summary>
    /// Seals raw rows (both raw tiers) into blocks, merging them with the block already there.
    /// With <paramref name="all"/> true, every raw row (a span in progress gets a block that later
    /// compactions re-seal as it fills); with false, a span in progress only when it has no block
    /// yet or its raw rows grew it by half (see <see cref="KeepWorthResealing"/>). Returns the rows moved.
    /// </summary>
    private long SealRawRows(bool all)
    {
        long moved = 0;
        var kinds = new Dictionary<int, FieldKind>();
        foreach (var series in _seriesByKey.Values)
        {
            kinds[series.Id] = series.Kind;
        }

        var existing = new BlockPoints();
        var merged = new BlockPoints();
        try
        {
            using var transaction = _connection.BeginTransaction();
            moved = SealPasses(all, kinds, existing, merged);
            transaction.Commit();
        }
        catch
        {
            // The transaction was rolled back (disposed): memory follows the database again.
            RollbackQuietly();
            ReloadHotBlocks();
            throw;
        }

        return moved;
    }

    private long SealPasses(bool all, Dictionary<int, FieldKind> kinds, BlockPoints existing, BlockPoints merged)
    {
        long moved = 0;
        foreach (var table in SampleTables.All)
        {
            for (var low = 0; low < _nextSeriesId; low += SeriesPerSealPass)
            {
                var high = low + SeriesPerSealPass;
                var range = Invariant($"series_id >= {low} AND series_id < {high}");
                var raw = $"(SELECT series_id, ts, value FROM {table.Name} WHERE {range} UNION ALL SELECT series_id, ts, value FROM {table.RecentName} WHERE {range})";
                var groups = SpanGroups(ReadRawGroups(raw, table, kinds));
                if (!all)
                {
                    KeepWorthResealing(groups);
                }

                if (groups.Count == 0)
                {
                    continue;
                }

                // The (series, first day, days) blocks sealed now, as a relation for the statements below.
                var sealedKeys = string.Join(',', groups.Select(g => Invariant($"({g.SeriesId},{g.Day},{g.Days})")));
                var keys = $"(VALUES {sealedKeys}) k(series_id, day, days)";
                var sealedBefore = new Dictionary<(int, int), byte[]>();
                using (var command = _connection.CreateCommand())
                {
                    command.CommandText = $"SELECT b.series_id, b.day, b.data FROM blocks b SEMI JOIN {keys} ON b.series_id = k.series_id AND b.day = k.day";
                    using var reader = command.ExecuteReader();
                    while (reader.Read())
                    {
                        sealedBefore[(reader.GetInt32(0), reader.GetInt32(1))] = ReadBlob(reader, 2);
                    }
                }

                if (sealedBefore.Count > 0)
                {
                    Execute($"DELETE FROM blocks USING {keys} WHERE blocks.series_id = k.series_id AND blocks.day = k.day");
                }

                using (var appender = _connection.CreateAppender("blocks"))
                {
                    foreach (var (seriesId, day, days, points) in groups)
                    {
                        var block = points;
                        if (sealedBefore.TryGetValue((seriesId, day), out var bytes))
                        {
                            BlockCodec.Decode(bytes, existing, day * Schema.DayNs);
                            merged.Merge(existing, points);
                            block = merged;
                        }

                        _hot.Set(seriesId, day, AppendBlock(appender, seriesId, day, days, block));
                        moved += points.Count;
                    }
                }

                foreach (var name in new[] { table.Name, table.RecentName })
                {
                    var day = DaySql(name + ".ts");
                    Execute(Invariant($"DELETE FROM {name} USING {keys} WHERE {name}.series_id = k.series_id AND {day} >= k.day AND {day} < k.day + k.days AND {name}.series_id >= {low} AND {name}.series_id < {high}"));
                }
            }
        }

        return moved;
    }

    /// <summary>
    /// For a compaction that does not seal everything: drops the groups of spans in progress (the
    /// span of a series' newest day) whose raw rows are fewer than half the points their block
    /// holds already, so a block being filled is re-encoded only after it grew by half (each point
    /// is encoded a bounded number of times however often compactions run). Spans that ended, and
    /// spans in progress without a block, are always sealed.
    /// </summary>
    private void KeepWorthResealing(List<(int SeriesId, int Day, int Days, BlockPoints Points)> groups)
    {
        var inProgress = groups.Where(g => _latest.TryGetValue(g.SeriesId, out var newest) && g.Day + g.Days > DayOf(newest.TimestampNs)).ToList();
        if (inProgress.Count == 0)
        {
            return;
        }

        var sealedCounts = new Dictionary<(int, int), int>();
        using (var command = _connection.CreateCommand())
        {
            var keys = string.Join(',', inProgress.Select(g => Invariant($"({g.SeriesId},{g.Day})")));
            command.CommandText = $"SELECT b.series_id, b.day, b.count FROM blocks b SEMI JOIN (VALUES {keys}) k(series_id, day) ON b.series_id = k.series_id AND b.day = k.day";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                sealedCounts[(reader.GetInt32(0), reader.GetInt32(1))] = reader.GetInt32(2);
            }
        }

        var skipped = inProgress.Where(g => g.Points.Count * 2 < sealedCounts.GetValueOrDefault((g.SeriesId, g.Day))).Select(g => (g.SeriesId, g.Day)).ToHashSet();
        groups.RemoveAll(g => skipped.Contains((g.SeriesId, g.Day)));
    }

    /// <summary>
    /// Day groups joined into the series' block spans (a series without blocks gets its span here,
    /// from the density of its raw points).
    /// </summary>
    private List<(int SeriesId, int Day, int Days, BlockPoints Points)> SpanGroups(List<(int SeriesId, int Day, BlockPoints Points)> dayGroups)
    {
        var result = new List<(int SeriesId, int Day, int Days, BlockPoints Points)>();
        for (var first = 0; first < dayGroups.Count;)
        {
            var seriesId = dayGroups[first].SeriesId;
            var end = first;
            long points = 0;
            while (end < dayGroups.Count && dayGroups[end].SeriesId == seriesId)
            {
                points += dayGroups[end++].Points.Count;
            }

            if (!_spanDays.TryGetValue(seriesId, out var span))
            {
                var firstTs = dayGroups[first].Points.Timestamps[0];
                var lastGroup = dayGroups[end - 1].Points;
                var extentDays = Math.Max(1.0, (lastGroup.Timestamps[lastGroup.Count - 1] - firstTs) / (double)Schema.DayNs);
                var perDay = points / extentDays;
                span = 1;
                while (span < MaxSpanDays && perDay * span < BlockTargetPoints)
                {
                    span *= 2;
                }

                _spanDays[seriesId] = span;
            }

            for (var i = first; i < end; i++)
            {
                var (_, day, dayPoints) = dayGroups[i];
                var start = (int)Schema.FloorTo(day, span);
                if (result.Count > 0 && result[^1].SeriesId == seriesId && result[^1].Day == start)
                {
                    var target = result[^1].Points;
                    for (var p = 0; p < dayPoints.Count; p++)
                    {
                        target.AddFrom(dayPoints, p);
                    }
                }
                else
                {
                    result.Add((seriesId, start, span, dayPoints));
                }
            }

            first = end;
        }

        return result;
    }

    /// <summary>Records that a commit appended raw rows of a series, none older than <paramref name="fromNs"/>.</summary>
    private void NoteRawRows(int seriesId, long fromNs) =>
        _rawFrom.AddOrUpdate(seriesId, static (_, from) => from, static (_, existing, from) => Math.Min(existing, from), fromNs);

    /// <summary>Sets the raw-row bounds from the raw tiers (at open and after a compaction).</summary>
    private void LoadRawBounds()
    {
        var bounds = new Dictionary<int, long>();
        foreach (var table in SampleTables.All)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT series_id, min(ts) FROM (SELECT series_id, ts FROM {table.Name} UNION ALL SELECT series_id, ts FROM {table.RecentName}) GROUP BY series_id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                bounds[reader.GetInt32(0)] = reader.GetInt64(1);
            }
        }

        foreach (var seriesId in _rawFrom.Keys)
        {
            if (!bounds.ContainsKey(seriesId))
            {
                _rawFrom.TryRemove(seriesId, out _);
            }
        }

        foreach (var (seriesId, from) in bounds)
        {
            _rawFrom[seriesId] = from;
        }
    }

    /// <summary>Raw rows of one table, grouped by (series, day), each group in time order.</summary>
    private List<(int SeriesId, int Day, BlockPoints Points)> ReadRawGroups(string raw, SampleTable table, Dictionary<int, FieldKind> kinds)
    {
        var groups = new List<(int SeriesId, int Day, BlockPoints Points)>();
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT series_id, ts, value FROM {raw} ORDER BY series_id, ts";
        using var reader = command.ExecuteReader();
        BlockPoints? current = null;
        var currentSeries = -1;
        var currentDay = int.MinValue;
        while (reader.Read())
        {
            var seriesId = reader.GetInt32(0);
            var ts = reader.GetInt64(1);
            var day = DayOf(ts);
            if (current is null || seriesId != currentSeries || day != currentDay)
            {
                current = new BlockPoints();
                current.Reset(kinds.GetValueOrDefault(seriesId, FieldKind.Float), 64);
                currentSeries = seriesId;
                currentDay = day;
                groups.Add((seriesId, day, current));
            }

            AddRawValue(current, reader, ts, table);
        }

        return groups;
    }

    /// <summary>
    /// The points of <paramref name="series"/> in [<paramref name="fromNs"/>, <paramref name="toNs"/>),
    /// per series id, in time order: blocks decoded (from memory for hot days), raw rows laid over
    /// them. Raw rows are read first (see <see cref="HotBlocks"/>), only of series that may have
    /// some in the range.
    /// </summary>
    private async Task<Dictionary<int, BlockPoints>> ReadPointsAsync(DuckDBConnection connection, IReadOnlyList<SeriesInfo> series, long fromNs, long toNs, CancellationToken cancellationToken)
    {
        var fromBlocks = new Dictionary<int, BlockPoints>();
        var fromRaw = new Dictionary<int, BlockPoints>();
        var kinds = series.ToDictionary(s => s.Id, s => s.Kind);
        var withRaw = series.Where(s => _rawFrom.TryGetValue(s.Id, out var rawFrom) && rawFrom < toNs).ToList();
        if (withRaw.Count > 0)
        {
            foreach (var group in withRaw.GroupBy(s => SampleTables.For(s.Kind)))
            {
                var table = group.Key;
                var groupIds = string.Join(',', group.Select(s => s.Id.ToString(CultureInfo.InvariantCulture)));
                var where = Invariant($"series_id IN ({groupIds}) AND ts >= {fromNs} AND ts < {toNs}");
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT series_id, ts, value FROM {table.Name} WHERE {where} UNION ALL SELECT series_id, ts, value FROM {table.RecentName} WHERE {where} ORDER BY series_id, ts";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var seriesId = reader.GetInt32(0);
                    if (!fromRaw.TryGetValue(seriesId, out var points))
                    {
                        fromRaw[seriesId] = points = new BlockPoints();
                        points.Reset(kinds[seriesId], 64);
                    }

                    AddRawValue(points, reader, reader.GetInt64(1), table);
                }
            }
        }

        var block = new BlockPoints();
        void AddBlock(int seriesId, int day, byte[] bytes)
        {
            BlockCodec.Decode(bytes, block, day * Schema.DayNs);
            if (!fromBlocks.TryGetValue(seriesId, out var points))
            {
                fromBlocks[seriesId] = points = new BlockPoints();
                points.Reset(kinds[seriesId], block.Count);
            }

            var start = LowerBound(block.Timestamps, block.Count, fromNs);
            for (var i = start; i < block.Count && block.Timestamps[i] < toNs; i++)
            {
                points.AddFrom(block, i);
            }
        }

        // A block starting up to MaxSpanDays - 1 days before the range may reach into it.
        var fromDay = DayOf(fromNs) - (MaxSpanDays - 1);
        var toDay = DayOf(toNs - 1);
        if (_hot.Covers(fromDay))
        {
            foreach (var s in series)
            {
                foreach (var (day, bytes) in _hot.Range(s.Id, fromDay, toDay))
                {
                    AddBlock(s.Id, day, bytes);
                }
            }
        }
        else
        {
            var ids = string.Join(',', series.Select(s => s.Id.ToString(CultureInfo.InvariantCulture)));
            await using var command = connection.CreateCommand();
            command.CommandText = Invariant($"SELECT series_id, day, data FROM blocks WHERE series_id IN ({ids}) AND day BETWEEN {fromDay} AND {toDay} ORDER BY series_id, day");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                AddBlock(reader.GetInt32(0), reader.GetInt32(1), ReadBlob(reader, 2));
            }
        }

        foreach (var (seriesId, raw) in fromRaw)
        {
            if (fromBlocks.TryGetValue(seriesId, out var sealedPoints))
            {
                var merged = new BlockPoints();
                merged.Merge(sealedPoints, raw);
                fromBlocks[seriesId] = merged;
            }
            else
            {
                fromBlocks[seriesId] = raw;
            }
        }

        return fromBlocks;
    }

    /// <summary>
    /// Loads the blocks of the hot days into memory (at open, and after a failed change). If that
    /// fails too, the hot days are switched off and every query reads the database.
    /// </summary>
    private void ReloadHotBlocks()
    {
        var rows = new List<(int SeriesId, int Day, byte[] Data)>();
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = Invariant($"SELECT series_id, day, data FROM blocks WHERE day >= {_hot.FromDay}");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt32(0), reader.GetInt32(1), ReadBlob(reader, 2)));
            }
        }
        catch (DuckDBException ex)
        {
            _hot.SwitchOff();
            LogMaintenanceFailed(_logger, ex);
            return;
        }

        _hot.Clear();
        foreach (var (seriesId, day, data) in rows)
        {
            _hot.Set(seriesId, day, data);
        }
    }

    /// <summary>The newest sealed point of every series that has blocks, for the in-memory latest values.</summary>
    private async Task LoadLatestFromBlocksAsync(Dictionary<int, SeriesInfo> byId, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT series_id, max(day), arg_max(data, day), max(days) FROM blocks GROUP BY series_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var block = new BlockPoints();
        while (await reader.ReadAsync(cancellationToken))
        {
            _spanDays[reader.GetInt32(0)] = reader.GetInt32(3);
            if (byId.TryGetValue(reader.GetInt32(0), out var series))
            {
                BlockCodec.Decode(ReadBlob(reader, 2), block, reader.GetInt32(1) * Schema.DayNs);
                ApplyLatest(new LatestValue(series, block.Timestamps[block.Count - 1], block.ValueAt(block.Count - 1)));
            }
        }
    }

    /// <summary>
    /// Raw retention for blocks: the points of <paramref name="seriesIds"/> before
    /// <paramref name="cutoffNs"/> (hour-aligned) become 1-minute and 1-hour rollup rows (numeric
    /// series) and are deleted; a block holding points on both sides keeps the later ones.
    /// Returns the points deleted. Runs inside the retention transaction, after raw rows were sealed.
    /// </summary>
    private long ExpireBlocks(string seriesIds, long cutoffNs, Dictionary<int, SeriesInfo> byId)
    {
        var lastDay = DayOf(cutoffNs - 1);
        var expiring = new List<(int SeriesId, int Day, int Days, byte[] Data)>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = Invariant($"SELECT series_id, day, days, data FROM blocks WHERE day <= {lastDay} AND series_id IN ({seriesIds})");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                expiring.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), ReadBlob(reader, 3)));
            }
        }

        if (expiring.Count == 0)
        {
            return 0;
        }

        Execute(Invariant($"DELETE FROM blocks WHERE day <= {lastDay} AND series_id IN ({seriesIds})"));
        foreach (var (seriesId, day, _, _) in expiring)
        {
            _hot.Set(seriesId, day, null);
        }

        long deleted = 0;
        var block = new BlockPoints();
        var kept = new BlockPoints();
        using var minutes = _connection.CreateAppender("rollup_1m");
        using var hours = _connection.CreateAppender("rollup_1h");
        using var blocks = _connection.CreateAppender("blocks");
        foreach (var (seriesId, day, days, data) in expiring)
        {
            BlockCodec.Decode(data, block, day * Schema.DayNs);
            var split = LowerBound(block.Timestamps, block.Count, cutoffNs);
            deleted += split;
            if (block.Kind != FieldKind.String && byId.ContainsKey(seriesId))
            {
                AppendRollups(minutes, seriesId, block, split, Schema.MinuteNs);
                AppendRollups(hours, seriesId, block, split, Schema.HourNs);
            }

            if (split < block.Count)
            {
                kept.Reset(block.Kind, block.Count - split);
                for (var i = split; i < block.Count; i++)
                {
                    kept.AddFrom(block, i);
                }

                _hot.Set(seriesId, day, AppendBlock(blocks, seriesId, day, days, kept));
            }
        }

        return deleted;
    }

    /// <summary>Rollup rows of the first <paramref name="count"/> points of a block (time order).</summary>
    private static void AppendRollups(DuckDBAppender appender, int seriesId, BlockPoints points, int count, long width)
    {
        var partial = default(RollupPartial);
        for (var i = 0; i < count; i++)
        {
            var ts = points.Timestamps[i];
            if (partial.Active && ts < partial.Bucket + width)
            {
                partial.AddLater(ts, points.NumberAt(i));
                continue;
            }

            AppendRollup(appender, seriesId, partial);
            partial.Start(Schema.FloorTo(ts, width), ts, points.NumberAt(i));
        }

        AppendRollup(appender, seriesId, partial);
    }

    private static void AppendRollup(DuckDBAppender appender, int seriesId, in RollupPartial partial)
    {
        if (!partial.Active)
        {
            return;
        }

        appender.CreateRow()
            .AppendValue(seriesId)
            .AppendValue(partial.Bucket)
            .AppendValue(partial.Min)
            .AppendValue(partial.Max)
            .AppendValue(partial.Sum)
            .AppendValue(partial.Count)
            .AppendValue(partial.LastTs)
            .AppendValue(partial.Last)
            .EndRow();
    }

    private static byte[] AppendBlock(DuckDBAppender appender, int seriesId, int day, int days, BlockPoints points)
    {
        var bytes = BlockCodec.Encode(points, day * Schema.DayNs);
        appender.CreateRow()
            .AppendValue(seriesId)
            .AppendValue(day)
            .AppendValue(days)
            .AppendValue(points.Count)
            .AppendValue(bytes)
            .EndRow();
        return bytes;
    }

    private static void AddRawValue(BlockPoints points, DbDataReader reader, long ts, SampleTable table)
    {
        if (ReferenceEquals(table, SampleTables.Float))
        {
            points.AddBits(ts, BitConverter.DoubleToInt64Bits(reader.GetDouble(2)));
        }
        else if (ReferenceEquals(table, SampleTables.Integer))
        {
            points.AddBits(ts, reader.GetInt64(2));
        }
        else if (ReferenceEquals(table, SampleTables.UInteger))
        {
            points.AddBits(ts, unchecked((long)reader.GetFieldValue<ulong>(2)));
        }
        else
        {
            points.AddString(ts, reader.GetString(2));
        }
    }

    private static byte[] ReadBlob(DbDataReader reader, int ordinal)
    {
        using var stream = reader.GetStream(ordinal);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The first index whose timestamp is at least <paramref name="ts"/>.</summary>
    private static int LowerBound(long[] timestamps, int count, long ts)
    {
        int low = 0, high = count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (timestamps[middle] < ts)
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

    /// <summary>The UTC day (days since the epoch) of a time in ns.</summary>
    private static int DayOf(long ns) => (int)(Schema.FloorTo(ns, Schema.DayNs) / Schema.DayNs);

    private static string DaySql(string column) => $"CAST({Schema.Floor(column, Schema.DayNs)} // {Schema.DayNs.ToString(CultureInfo.InvariantCulture)} AS INTEGER)";
}
