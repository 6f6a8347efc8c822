using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>Range queries, raw or in time buckets, on a connection of their own so they never wait for commits.</summary>
public sealed partial class DuckDbStore
{
    /// <summary>Most buckets one aggregated query may ask for per series.</summary>
    public const int MaxBucketsPerSeries = 100_000;

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

        var byId = series.ToDictionary(s => s.Id);
        var answer = series.ToDictionary(s => s.Id, _ => new List<(long, double)>());
        var total = 0;
        // A second connection to the same database (DuckDB.NET shares the open database by path):
        // reads see committed data and run beside the commit loop's connection.
        await using var connection = new DuckDBConnection(_connection.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        _ = PickRollup(query);
        foreach (var group in series.GroupBy(s => SampleTables.For(s.Kind)))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = BuildSql(query, group.Key, group.Select(s => s.Id));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (++total > query.RowLimit)
                {
                    throw new QueryException(
                        $"the answer has more than {query.RowLimit} points; narrow the range, add tag filters, or use a larger step");
                }

                if (!reader.IsDBNull(2))
                {
                    answer[reader.GetInt32(0)].Add((reader.GetInt64(1), Convert.ToDouble(reader.GetValue(2), CultureInfo.InvariantCulture)));
                }
            }
        }

        return [.. series.Select(s => new SeriesPoints(byId[s.Id], answer[s.Id]))];
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
        foreach (var series in _seriesByKey.Values)
        {
            if (!string.Equals(series.Measurement, query.Measurement, StringComparison.Ordinal))
            {
                continue;
            }

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

        matched.Sort(static (a, b) => a.Id.CompareTo(b.Id));
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

    private static string BuildSql(SeriesQuery query, SampleTable table, IEnumerable<int> ids)
    {
        // Only integers are interpolated (ids, times, step): nothing a caller typed reaches the SQL text.
        var idList = string.Join(",", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        var limit = (query.RowLimit + 1L).ToString(CultureInfo.InvariantCulture);
        var sql = new StringBuilder(256);
        if (PickRollup(query) is { } rollup && table.Numeric)
        {
            var stepNs = query.StepNs!.Value;
            var alignedFrom = Schema.FloorTo(query.FromNs, rollup.Width);
            var aggregate = query.Aggregate switch
            {
                Aggregate.Mean => "sum(sum) / sum(count)",
                Aggregate.Min => "min(min)",
                Aggregate.Max => "max(max)",
                Aggregate.Sum => "sum(sum)",
                Aggregate.Count => "CAST(sum(count) AS DOUBLE)",
                _ => "arg_max(last, last_ts)",
            };
            var where = Invariant($"series_id IN ({idList}) AND bucket >= {alignedFrom} AND bucket < {query.ToNs}");
            sql.Append(Invariant($"SELECT series_id, {alignedFrom} + ((bucket - {alignedFrom}) // {stepNs}) * {stepNs} AS b, {aggregate} FROM (SELECT * FROM {rollup.Table} WHERE {where} UNION ALL SELECT * FROM {Schema.RecentPartials(rollup.Table)} WHERE {where}) GROUP BY series_id, b ORDER BY series_id, b LIMIT {limit}"));
            return sql.ToString();
        }

        var from = query.FromNs.ToString(CultureInfo.InvariantCulture);
        var to = query.ToNs.ToString(CultureInfo.InvariantCulture);
        var rows = Invariant($"SELECT series_id, ts, CAST(value AS DOUBLE) AS v FROM {table.Name} WHERE series_id IN ({idList}) AND ts >= {from} AND ts < {to} UNION ALL SELECT series_id, ts, CAST(value AS DOUBLE) AS v FROM {table.RecentName} WHERE series_id IN ({idList}) AND ts >= {from} AND ts < {to}");
        if (query.StepNs is not { } rawStep)
        {
            sql.Append(CultureInfo.InvariantCulture, $"SELECT series_id, ts, v FROM ({rows}) ORDER BY series_id, ts LIMIT {limit}");
            return sql.ToString();
        }

        var step = rawStep.ToString(CultureInfo.InvariantCulture);
        var rawAggregate = query.Aggregate switch
        {
            Aggregate.Mean => "avg(v)",
            Aggregate.Min => "min(v)",
            Aggregate.Max => "max(v)",
            Aggregate.Sum => "sum(v)",
            Aggregate.Count => "count(v)",
            Aggregate.Last => "arg_max(v, ts)",
            _ => "quantile_cont(v, 0.95)",
        };
        sql.Append(CultureInfo.InvariantCulture, $"SELECT series_id, {from} + ((ts - {from}) // {step}) * {step} AS bucket, {rawAggregate} FROM ({rows}) GROUP BY series_id, bucket ORDER BY series_id, bucket LIMIT {limit}");
        return sql.ToString();
    }
}
