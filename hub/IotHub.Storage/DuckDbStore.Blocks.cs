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

    // The points of a compaction pass, reused by the next (commit loop only).
    private readonly BlockPointsPool _passPoints;

    // A block spans 1, 2, 4 or 8 days (aligned to multiples of its span since the epoch), chosen
    // per series at its first seal so a block holds about BlockTargetPoints points: bigger blocks
    // compress better, and a series reporting every 10 minutes has 144 points a day.
    private const int MaxSpanDays = 8;
    private const int BlockTargetPoints = 1_000;

    // Most parts a span in progress is kept in (see SealRawRows).
    private const int MaxParts = 8;

    // Span of each series with blocks (loaded at open, chosen at a series' first seal).
    private readonly ConcurrentDictionary<int, int> _spanDays = new();

    // Per series with raw rows: no raw row of it is older than this (a lower bound). A query whose
    // range ends before it reads no raw rows of that series. Changed by the commit loop only,
    // before the writes it describes are acknowledged.
    private readonly ConcurrentDictionary<int, long> _rawFrom = new();

    /// <summary>
    /// Seals every raw row (both raw tiers) into blocks, but those of new series still in their
    /// first hour (see <see cref="SealableSeries"/>). A span that ended (it is before its
    /// series' newest day) gets one block: its parts and raw rows merged (a raw row wins). A span
    /// in progress gets its raw rows as one more part when they all come after its parts, so a
    /// compaction encodes only what arrived since the last one; up to <see cref="MaxParts"/>
    /// parts, then they are merged. With <paramref name="all"/> true, every span's parts are
    /// merged into one block, spans in progress too, and new series are sealed at once; with
    /// <paramref name="mergeParts"/> true only the former. Returns the raw rows moved.
    /// </summary>
    private long SealRawRows(bool all, bool mergeParts)
    {
        long moved = 0;
        var kinds = new Dictionary<int, FieldKind>();
        foreach (var series in _seriesByKey.Values)
        {
            kinds[series.Id] = series.Kind;
        }

        try
        {
            using var transaction = _connection.BeginTransaction();
            moved = SealPasses(all, all || mergeParts, kinds);
            transaction.Commit();
        }
        catch
        {
            // The transaction was rolled back (disposed): memory follows the database again.
            RollbackQuietly();
            ReloadHotBlocks();
            throw;
        }
        finally
        {
            _passPoints.ReturnAll();
        }

        return moved;
    }

    private long SealPasses(bool all, bool mergeParts, Dictionary<int, FieldKind> kinds)
    {
        long moved = 0;
        var existing = new BlockPoints();
        // Raw rows of new series that keep coming fast (under heavy writes in their first hour) are
        // bounded: from twice the compaction threshold, a series with enough points for a one-day
        // block is sealed before its hour is out (its density can only give it a one-day span).
        var crowded = _recentRows >= 2L * _options.CompactionRowThreshold;
        var sealable = SealableSeries(all || crowded, kinds);
        foreach (var table in SampleTables.All)
        {
            // Every raw row of a series read is sealed (SpanGroups takes all of a series or none).
            var sealedSeries = new HashSet<int>();
            long sealedRows = 0;
            for (var low = 0; low < _nextSeriesId; low += SeriesPerSealPass)
            {
                // The previous pass's points go back for this one to reuse.
                _passPoints.ReturnAll();
                var high = low + SeriesPerSealPass;
                var range = Invariant($"series_id >= {low} AND series_id < {high}");
                List<(int SeriesId, int Day, int Days, BlockPoints Points)> groups = [];
                if (sealable.TryGetValue((table, low / SeriesPerSealPass), out var pass) && pass.Ids.Count > 0)
                {
                    // The range alone when every series of it with raw rows is sealed (a range scan is cheaper than a long IN list).
                    var only = pass.Ids.Count == pass.WithRaw ? range : Invariant($"{range} AND series_id IN ({string.Join(',', pass.Ids)})");
                    var raw = $"(SELECT series_id, ts, value FROM {table.Name} WHERE {only} UNION ALL SELECT series_id, ts, value FROM {table.RecentName} WHERE {only})";
                    groups = SpanGroups(ReadRawGroups(raw, table, kinds), all, crowded);
                    foreach (var group in groups)
                    {
                        sealedSeries.Add(group.SeriesId);
                        sealedRows += group.Points.Count;
                    }
                }

                AddSpansToMerge(groups, mergeParts, range, table, kinds);
                if (groups.Count == 0)
                {
                    continue;
                }

                var parts = ReadParts(groups);
                // Spans whose parts are merged into one block: their rows are deleted and written again.
                var rewritten = new List<(int SeriesId, int Day, int Days, BlockPoints Points, List<(int Part, byte[] Data)> Parts)>();
                using (var appender = _connection.CreateAppender("blocks"))
                {
                    foreach (var (seriesId, day, days, points) in groups)
                    {
                        moved += points.Count;
                        if (!parts.TryGetValue((seriesId, day), out var list))
                        {
                            _hot.Set(seriesId, day, 0, AppendBlock(appender, seriesId, day, days, 0, points));
                            continue;
                        }

                        var inProgress = _latest.TryGetValue(seriesId, out var newest) && day + days > DayOf(newest.TimestampNs);
                        if (!mergeParts && inProgress && points.Count > 0 && list.Count < MaxParts)
                        {
                            BlockCodec.Decode(list[^1].Data, existing, day * Schema.DayNs);
                            if (points.Timestamps[0] > existing.Timestamps[existing.Count - 1])
                            {
                                var part = list[^1].Part + 1;
                                _hot.Set(seriesId, day, part, AppendBlock(appender, seriesId, day, days, part, points));
                                continue;
                            }
                        }

                        rewritten.Add((seriesId, day, days, points, list));
                    }
                }

                if (rewritten.Count > 0)
                {
                    MergeParts(rewritten, existing);
                }
            }

            if (sealedSeries.Count > 0)
            {
                // Every raw row of the table sealed (no other was read, and as many): deleted without a join.
                var allSealed = ScalarLong($"SELECT (SELECT count(*) FROM {table.Name}) + (SELECT count(*) FROM {table.RecentName})") == sealedRows;
                var sealedIds = $"(VALUES {string.Join(',', sealedSeries.Select(id => Invariant($"({id})")))}) k(series_id)";
                foreach (var name in new[] { table.Name, table.RecentName })
                {
                    Execute(allSealed ? $"DELETE FROM {name}" : $"DELETE FROM {name} USING {sealedIds} WHERE {name}.series_id = k.series_id");
                }
            }
        }

        return moved;
    }

    /// <summary>
    /// The blocks (parts) already stored for the spans of <paramref name="groups"/>, by (series, first
    /// day), in part order: from memory for hot days, from the database for the others.
    /// </summary>
    private Dictionary<(int, int), List<(int Part, byte[] Data)>> ReadParts(List<(int SeriesId, int Day, int Days, BlockPoints Points)> groups)
    {
        var parts = new Dictionary<(int, int), List<(int Part, byte[] Data)>>();
        var cold = new List<(int SeriesId, int Day)>();
        foreach (var (seriesId, day, _, _) in groups)
        {
            if (!_hot.Covers(day))
            {
                cold.Add((seriesId, day));
            }
            else if (_hot.Parts(seriesId, day) is { Count: > 0 } list)
            {
                parts[(seriesId, day)] = list;
            }
        }

        if (cold.Count == 0)
        {
            return parts;
        }

        var keys = $"(VALUES {string.Join(',', cold.Select(g => Invariant($"({g.SeriesId},{g.Day})")))}) k(series_id, day)";
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT b.series_id, b.day, b.part, b.data FROM blocks b SEMI JOIN {keys} ON b.series_id = k.series_id AND b.day = k.day ORDER BY b.series_id, b.day, b.part";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var key = (reader.GetInt32(0), reader.GetInt32(1));
            if (!parts.TryGetValue(key, out var list))
            {
                parts[key] = list = [];
            }

            list.Add((reader.GetInt32(2), ReadBlob(reader, 3)));
        }

        return parts;
    }

    /// <summary>
    /// The series with raw rows that a compaction may seal, by raw table and pass: every one with
    /// <paramref name="all"/> or a span, else (a new series) only once its raw points may cover an
    /// hour (<see cref="SpanGroups"/> decides). A compaction thus reads no raw rows of series still
    /// in their first hour, which under heavy writes of new series are most of them.
    /// </summary>
    private Dictionary<(SampleTable Table, int Pass), (List<int> Ids, int WithRaw)> SealableSeries(bool all, Dictionary<int, FieldKind> kinds)
    {
        var result = new Dictionary<(SampleTable, int), (List<int> Ids, int WithRaw)>();
        foreach (var (seriesId, from) in _rawFrom)
        {
            var key = (SampleTables.For(kinds.GetValueOrDefault(seriesId, FieldKind.Float)), seriesId / SeriesPerSealPass);
            if (!result.TryGetValue(key, out var pass))
            {
                pass = ([], 0);
            }

            pass.WithRaw++;
            if (all || _spanDays.ContainsKey(seriesId) || !_latest.TryGetValue(seriesId, out var newest) || from <= newest.TimestampNs - Schema.HourNs)
            {
                pass.Ids.Add(seriesId);
            }

            result[key] = pass;
        }

        return result;
    }

    /// <summary>
    /// Adds to <paramref name="groups"/> (with no raw points) the spans of these series kept in
    /// several parts that got no raw rows but are to be merged: those that ended, or all with <paramref name="all"/>.
    /// </summary>
    private void AddSpansToMerge(List<(int SeriesId, int Day, int Days, BlockPoints Points)> groups, bool all, string range, SampleTable table, Dictionary<int, FieldKind> kinds)
    {
        var present = groups.Select(g => (g.SeriesId, g.Day)).ToHashSet();
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT DISTINCT series_id, day, days FROM blocks WHERE part > 0 AND {range}";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var (seriesId, day, days) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
            if (!kinds.TryGetValue(seriesId, out var kind) || !ReferenceEquals(SampleTables.All[SampleTables.IndexOf(kind)], table) || present.Contains((seriesId, day)))
            {
                continue;
            }

            var ended = !_latest.TryGetValue(seriesId, out var newest) || day + days <= DayOf(newest.TimestampNs);
            if (all || ended)
            {
                var none = _passPoints.Rent(kind, 0);
                groups.Add((seriesId, day, days, none));
            }
        }
    }

    /// <summary>Replaces the parts of each span by one block of their points and the span's raw points (which win).</summary>
    private void MergeParts(List<(int SeriesId, int Day, int Days, BlockPoints Points, List<(int Part, byte[] Data)> Parts)> spans, BlockPoints decoded)
    {
        var keys = string.Join(',', spans.Select(g => Invariant($"({g.SeriesId},{g.Day})")));
        Execute($"DELETE FROM blocks USING (VALUES {keys}) k(series_id, day) WHERE blocks.series_id = k.series_id AND blocks.day = k.day");
        using var appender = _connection.CreateAppender("blocks");
        var merged = _passPoints.Rent(FieldKind.Float, 0);
        var next = _passPoints.Rent(FieldKind.Float, 0);
        foreach (var (seriesId, day, days, points, parts) in spans)
        {
            // Later parts and then raw rows win over earlier ones on equal timestamps.
            merged.Reset(points.Kind, points.Count);
            foreach (var (part, data) in parts)
            {
                BlockCodec.Decode(data, decoded, day * Schema.DayNs);
                next.Merge(merged, decoded);
                (merged, next) = (next, merged);
                _hot.Set(seriesId, day, part, null);
            }

            next.Merge(merged, points);
            _hot.Set(seriesId, day, 0, AppendBlock(appender, seriesId, day, days, 0, next));
        }
    }

    /// <summary>
    /// Day groups joined into the series' block spans. A series without blocks gets its span here,
    /// from the density of its raw points once they cover an hour (or, with <paramref name="all"/>, at
    /// once; with <paramref name="crowded"/>, once it has points enough for a one-day block).
    /// </summary>
    private List<(int SeriesId, int Day, int Days, BlockPoints Points)> SpanGroups(List<(int SeriesId, int Day, BlockPoints Points)> dayGroups, bool all, bool crowded)
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
                var extent = lastGroup.Timestamps[lastGroup.Count - 1] - firstTs;
                if (extent < Schema.HourNs && !all && !(crowded && points >= BlockTargetPoints))
                {
                    // Too short to tell its density: a new series stays raw for its first hour.
                    first = end;
                    continue;
                }

                var perDay = points / Math.Max(1.0 / 24, extent / (double)Schema.DayNs);
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

    /// <summary>
    /// Raw rows of one table, grouped by (series, day), each group in time order. Read in arrival
    /// order (no sort in SQL): a series' in-order writes arrive in time order, and a series whose
    /// rows did not (late writes, or rows of both raw tiers) is sorted here.
    /// </summary>
    private List<(int SeriesId, int Day, BlockPoints Points)> ReadRawGroups(string raw, SampleTable table, Dictionary<int, FieldKind> kinds)
    {
        var bySeries = new Dictionary<int, BlockPoints>();
        var unsorted = new HashSet<int>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = $"SELECT series_id, ts, value FROM {raw}";
            using var reader = command.ExecuteReader();
            BlockPoints? current = null;
            var currentSeries = -1;
            while (reader.Read())
            {
                var seriesId = reader.GetInt32(0);
                if (current is null || seriesId != currentSeries)
                {
                    if (!bySeries.TryGetValue(seriesId, out current))
                    {
                        current = _passPoints.Rent(kinds.GetValueOrDefault(seriesId, FieldKind.Float), 64);
                        bySeries[seriesId] = current;
                    }

                    currentSeries = seriesId;
                }

                var ts = reader.GetInt64(1);
                if (current.Count > 0 && ts < current.Timestamps[current.Count - 1])
                {
                    unsorted.Add(seriesId);
                }

                AddRawValue(current, reader, ts, table);
            }
        }

        var groups = new List<(int SeriesId, int Day, BlockPoints Points)>();
        foreach (var seriesId in bySeries.Keys.Order())
        {
            var points = bySeries[seriesId];
            if (unsorted.Contains(seriesId))
            {
                points.SortByTime();
            }

            for (var first = 0; first < points.Count;)
            {
                var day = DayOf(points.Timestamps[first]);
                var end = LowerBound(points.Timestamps, points.Count, (day + 1L) * Schema.DayNs);
                if (first == 0 && end == points.Count)
                {
                    groups.Add((seriesId, day, points));
                    break;
                }

                var dayPoints = _passPoints.Rent(points.Kind, end - first);
                for (var p = first; p < end; p++)
                {
                    dayPoints.AddFrom(points, p);
                }

                groups.Add((seriesId, day, dayPoints));
                first = end;
            }
        }

        return groups;
    }

    /// <summary>
    /// The points of <paramref name="series"/> in [<paramref name="fromNs"/>, <paramref name="toNs"/>),
    /// per series id, in time order: blocks decoded (from memory for hot days), raw rows laid over
    /// them. Raw rows are read first (see <see cref="HotBlocks"/>), only of series that may have
    /// some in the range.
    /// </summary>
    private async Task<Dictionary<int, BlockPoints>> ReadPointsAsync(DuckDBConnection connection, IReadOnlyList<SeriesInfo> series, long fromNs, long toNs, BlockPointsPool pool, CancellationToken cancellationToken)
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
                        fromRaw[seriesId] = points = pool.Rent(kinds[seriesId], 64);
                    }

                    AddRawValue(points, reader, reader.GetInt64(1), table);
                }
            }
        }

        var block = pool.Rent(FieldKind.Float, 0);
        void AddBlock(int seriesId, int day, byte[] bytes)
        {
            BlockCodec.Decode(bytes, block, day * Schema.DayNs);
            if (!fromBlocks.TryGetValue(seriesId, out var points))
            {
                fromBlocks[seriesId] = points = pool.Rent(kinds[seriesId], block.Count);
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
            command.CommandText = Invariant($"SELECT series_id, day, data FROM blocks WHERE series_id IN ({ids}) AND day BETWEEN {fromDay} AND {toDay} ORDER BY series_id, day, part");
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
                var merged = pool.Rent(raw.Kind, 0);
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
        var rows = new List<(int SeriesId, int Day, int Part, byte[] Data)>();
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = Invariant($"SELECT series_id, day, part, data FROM blocks WHERE day >= {_hot.FromDay}");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), ReadBlob(reader, 3)));
            }
        }
        catch (DuckDBException ex)
        {
            _hot.SwitchOff();
            LogMaintenanceFailed(_logger, ex);
            return;
        }

        _hot.Clear();
        foreach (var (seriesId, day, part, data) in rows)
        {
            _hot.Set(seriesId, day, part, data);
        }
    }

    /// <summary>The newest sealed point of every series that has blocks, for the in-memory latest values.</summary>
    private async Task LoadLatestFromBlocksAsync(Dictionary<int, SeriesInfo> byId, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT series_id, max(day), arg_max(data, CAST(day AS BIGINT) * 65536 + part), max(days) FROM blocks GROUP BY series_id";
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
        var expiring = new List<(int SeriesId, int Day, int Days, int Part, byte[] Data)>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = Invariant($"SELECT series_id, day, days, part, data FROM blocks WHERE day <= {lastDay} AND series_id IN ({seriesIds})");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                expiring.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), ReadBlob(reader, 4)));
            }
        }

        if (expiring.Count == 0)
        {
            return 0;
        }

        Execute(Invariant($"DELETE FROM blocks WHERE day <= {lastDay} AND series_id IN ({seriesIds})"));
        foreach (var (seriesId, day, _, part, _) in expiring)
        {
            _hot.Set(seriesId, day, part, null);
        }

        long deleted = 0;
        var block = new BlockPoints();
        var kept = new BlockPoints();
        using var minutes = _connection.CreateAppender("rollup_1m");
        using var hours = _connection.CreateAppender("rollup_1h");
        using var blocks = _connection.CreateAppender("blocks");
        foreach (var (seriesId, day, days, part, data) in expiring)
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

                _hot.Set(seriesId, day, part, AppendBlock(blocks, seriesId, day, days, part, kept));
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

    private static byte[] AppendBlock(DuckDBAppender appender, int seriesId, int day, int days, int part, BlockPoints points)
    {
        var bytes = BlockCodec.Encode(points, day * Schema.DayNs);
        appender.CreateRow()
            .AppendValue(seriesId)
            .AppendValue(day)
            .AppendValue(days)
            .AppendValue(points.Count)
            .AppendValue(bytes)
            .AppendValue(part)
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
