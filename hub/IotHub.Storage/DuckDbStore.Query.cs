using System.Globalization;
using DuckDB.NET.Data;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// Range queries, raw or in time buckets, on connections of their own so they never wait for
/// commits. Points come from blocks decoded in C# with raw rows laid over them; buckets are
/// aggregated in C# (rollups of points still kept raw are these same sums, so the answer of a
/// rollup resolution equals a recomputation from raw points by construction); buckets whose raw
/// points expired come from the stored rollup rows.
/// </summary>
public sealed partial class DuckDbStore
{
    /// <summary>Most buckets one aggregated query may ask for per series.</summary>
    public const int MaxBucketsPerSeries = 100_000;

    // Series whose points one read of a range query holds at once (see QueryAsync).
    private const int SeriesPerRead = 16;

    // Points whose arrays one query keeps for its next chunk (16 bytes each).
    private const long MaxPooledQueryPoints = 8_000_000;

    /// <summary>Answers a range query; throws <see cref="QueryException"/> naming what is wrong with it.</summary>
    public async Task<IReadOnlyList<SeriesPoints>> QueryAsync(SeriesQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await WaitForAppliedAsync(cancellationToken);
        var series = MatchSeries(query);
        if (series.Count == 0)
        {
            return [];
        }

        // A rollup answer covers whole rollup buckets from the bucket holding the start.
        var rollup = PickRollup(query);
        var (fromNs, toNs) = rollup is { } level
            ? (Schema.FloorTo(query.FromNs, level.Width), Schema.FloorTo(query.ToNs - 1, level.Width) + level.Width)
            : (query.FromNs, query.ToNs);
        using var lease = await EnterReadAsync(cancellationToken);
        var connection = await RentReaderAsync(cancellationToken);
        try
        {
            var rawCutoff = RawCutoff(_options.RetentionOf(query.Measurement).Raw, TimeUnits.FromDateTimeOffset(_time.GetUtcNow()));
            var total = 0;
            var answer = new List<SeriesPoints>(series.Count);
            var empty = new BlockPoints();
            // A few series at a time: their points are read, folded and let go, so what a query
            // holds is bounded by one chunk's points, not by every point of the range.
            // The chunks' points reuse the same arrays (large ones would otherwise pile up in the
            // large object heap until a full collection).
            var pool = new BlockPointsPool(MaxPooledQueryPoints);
            foreach (var chunk in series.Chunk(SeriesPerRead))
            {
                pool.ReturnAll();
                var points = await ReadPointsAsync(connection, chunk, fromNs, toNs, pool, cancellationToken);
                Dictionary<int, List<RollupPartial>>? stored = null;
                if (rollup is { } table && fromNs < rawCutoff)
                {
                    // Buckets whose raw points expired are answered by the rollup rows written then.
                    stored = await ReadRollupRowsAsync(connection, table.Table, chunk, fromNs, query.ToNs, cancellationToken);
                }

                foreach (var s in chunk)
                {
                    var values = points.GetValueOrDefault(s.Id) ?? empty;
                    var result = query.StepNs is { } step
                        ? Bucketed(values, stored?.GetValueOrDefault(s.Id), fromNs, step, query.Aggregate)
                        : RawPoints(values);
                    total += result.Count;
                    if (total > query.RowLimit)
                    {
                        throw new QueryException(
                            $"the answer has more than {query.RowLimit} points; narrow the range, add tag filters, or use a larger step");
                    }

                    answer.Add(new SeriesPoints(s, result));
                }
            }

            return answer;
        }
        finally
        {
            _readers.Add(connection);
        }
    }

    /// <summary>A connection for reads: kept open between queries (opening one costs a catalog round).</summary>
    private Task<DuckDBConnection> RentReaderAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_readers.TryTake(out var connection) ? connection : OpenSecondConnection());
    }

    private static List<(long, double)> RawPoints(BlockPoints values)
    {
        var result = new List<(long, double)>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            result.Add((values.Timestamps[i], values.NumberAt(i)));
        }

        return result;
    }

    /// <summary>Points (and stored rollup rows) folded into buckets of <paramref name="step"/> from <paramref name="origin"/>.</summary>
    private static List<(long, double)> Bucketed(BlockPoints values, List<RollupPartial>? stored, long origin, long step, Aggregate aggregate)
    {
        var buckets = new List<RollupPartial>();
        var percentiles = aggregate == Aggregate.P95 ? new List<double>() : null;
        var window = new List<double>();
        var current = default(RollupPartial);
        for (var i = 0; i < values.Count; i++)
        {
            var ts = values.Timestamps[i];
            var value = values.NumberAt(i);
            if (current.Active && ts < current.Bucket + step)
            {
                current.AddLater(ts, value);
            }
            else
            {
                Close(ref current);
                current.Start(origin + (Schema.FloorTo(ts - origin, step)), ts, value);
            }

            if (percentiles is not null)
            {
                window.Add(value);
            }
        }

        Close(ref current);
        if (stored is { Count: > 0 })
        {
            buckets = MergeStored(buckets, stored, origin, step);
        }

        var result = new List<(long, double)>(buckets.Count);
        for (var b = 0; b < buckets.Count; b++)
        {
            var bucket = buckets[b];
            result.Add((bucket.Bucket, aggregate switch
            {
                Aggregate.Mean => bucket.Sum / bucket.Count,
                Aggregate.Min => bucket.Min,
                Aggregate.Max => bucket.Max,
                Aggregate.Sum => bucket.Sum,
                Aggregate.Count => bucket.Count,
                Aggregate.Last => bucket.Last,
                _ => percentiles![b],
            }));
        }

        return result;

        void Close(ref RollupPartial partial)
        {
            if (!partial.Active)
            {
                return;
            }

            buckets.Add(partial);
            partial.Active = false;
            if (percentiles is not null)
            {
                percentiles.Add(Percentile(window, 0.95));
            }

            window.Clear();
        }
    }

    /// <summary>Interpolated quantile as DuckDB's <c>quantile_cont</c>; sorts <paramref name="values"/>.</summary>
    private static double Percentile(List<double> values, double quantile)
    {
        values.Sort();
        var position = (values.Count - 1) * quantile;
        var low = (int)Math.Floor(position);
        var high = (int)Math.Ceiling(position);
        return values[low] + ((values[high] - values[low]) * (position - low));
    }

    /// <summary>Buckets from points and from stored rollup rows merged in time order (a bucket can hold both).</summary>
    private static List<RollupPartial> MergeStored(List<RollupPartial> fromPoints, List<RollupPartial> stored, long origin, long step)
    {
        var all = new List<RollupPartial>(fromPoints.Count + stored.Count);
        foreach (var row in stored)
        {
            var moved = row;
            moved.Bucket = origin + Schema.FloorTo(row.Bucket - origin, step);
            all.Add(moved);
        }

        all.AddRange(fromPoints);
        all.Sort(static (a, b) => a.Bucket.CompareTo(b.Bucket));
        var merged = new List<RollupPartial>(all.Count);
        foreach (var partial in all)
        {
            if (merged.Count > 0 && merged[^1].Bucket == partial.Bucket)
            {
                var last = merged[^1];
                last.Merge(partial);
                merged[^1] = last;
            }
            else
            {
                merged.Add(partial);
            }
        }

        return merged;
    }

    private static async Task<Dictionary<int, List<RollupPartial>>> ReadRollupRowsAsync(DuckDBConnection connection, string table, IReadOnlyList<SeriesInfo> series, long fromNs, long toNs, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<int, List<RollupPartial>>();
        var ids = string.Join(',', series.Select(s => s.Id.ToString(CultureInfo.InvariantCulture)));
        await using var command = connection.CreateCommand();
        command.CommandText = Invariant($"SELECT series_id, bucket, min, max, sum, count, last_ts, last FROM {table} WHERE series_id IN ({ids}) AND bucket >= {fromNs} AND bucket < {toNs} ORDER BY series_id, bucket");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var seriesId = reader.GetInt32(0);
            if (!rows.TryGetValue(seriesId, out var list))
            {
                rows[seriesId] = list = [];
            }

            list.Add(new RollupPartial
            {
                Active = true,
                Bucket = reader.GetInt64(1),
                Min = reader.GetDouble(2),
                Max = reader.GetDouble(3),
                Sum = reader.GetDouble(4),
                Count = reader.GetInt64(5),
                LastTs = reader.GetInt64(6),
                Last = reader.GetDouble(7),
            });
        }

        return rows;
    }

    private List<SeriesInfo> MatchSeries(SeriesQuery query)
    {
        if (query.ToNs <= query.FromNs)
        {
            throw new QueryException($"the range is empty or inverted: from {TimeUnits.ToDateTimeOffset(query.FromNs):O} is not before to {TimeUnits.ToDateTimeOffset(query.ToNs):O}");
        }

        if (query.RowLimit < 1)
        {
            throw new QueryException("the row limit must be at least 1");
        }

        if (query.StepNs is { } step)
        {
            if (step < 1_000_000)
            {
                throw new QueryException("the step must be at least 1 ms");
            }

            var buckets = ((query.ToNs - query.FromNs) / step) + 1;
            if (buckets > MaxBucketsPerSeries)
            {
                throw new QueryException($"a step of {TimeSpan.FromTicks(step / 100)} is too small for this range: {buckets} buckets, at most {MaxBucketsPerSeries}");
            }
        }

        var measurementKnown = false;
        var fieldKnown = false;
        var matched = new List<SeriesInfo>();
        foreach (var series in SeriesOfMeasurement(query.Measurement))
        {
            measurementKnown = true;
            if (!string.Equals(series.Field, query.Field, StringComparison.Ordinal))
            {
                continue;
            }

            fieldKnown = true;
            if (HasTags(series, query.Tags))
            {
                matched.Add(series);
            }
        }

        if (!measurementKnown)
        {
            throw new QueryException($"unknown measurement '{query.Measurement}'");
        }

        if (!fieldKnown)
        {
            throw new QueryException($"measurement '{query.Measurement}' has no field '{query.Field}'");
        }

        if (matched.Exists(s => s.Kind == FieldKind.String))
        {
            throw new QueryException($"field '{query.Field}' holds strings; only numeric and boolean fields can be queried as series");
        }

        return matched;
    }

    private static bool HasTags(SeriesInfo series, IReadOnlyDictionary<string, string> wanted)
    {
        foreach (var (key, value) in wanted)
        {
            var found = false;
            foreach (var tag in series.Tags)
            {
                if (string.Equals(tag.Key, key, StringComparison.Ordinal) && string.Equals(tag.Value, value, StringComparison.Ordinal))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The rollup that answers an aggregated query, or null for raw points.</summary>
    private static (string Table, long Width)? PickRollup(SeriesQuery query)
    {
        if (query.StepNs is not { } step)
        {
            return null;
        }

        var resolution = query.Resolution;
        if (resolution == QueryResolution.Raw)
        {
            return null;
        }

        if (query.Aggregate == Aggregate.P95)
        {
            return resolution == QueryResolution.Auto
                ? null
                : throw new QueryException("p95 cannot be answered from a rollup (it keeps min, max, mean, sum, count and last); ask for raw resolution");
        }

        if (resolution is QueryResolution.Auto or QueryResolution.Hour && step % Schema.HourNs == 0)
        {
            return ("rollup_1h", Schema.HourNs);
        }

        if (resolution is QueryResolution.Auto or QueryResolution.Minute && step % Schema.MinuteNs == 0)
        {
            return ("rollup_1m", Schema.MinuteNs);
        }

        return resolution == QueryResolution.Auto
            ? null
            : throw new QueryException($"a step of {TimeSpan.FromTicks(step / 100)} is not a whole number of {(resolution == QueryResolution.Hour ? "hours" : "minutes")}, so the {resolution.ToString().ToLowerInvariant()} rollup cannot answer it");
    }
}
