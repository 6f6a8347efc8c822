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

    private static string BuildSql(SeriesQuery query, SampleTable table, IEnumerable<int> ids)
    {
        // Only integers are interpolated (ids, times, step): nothing a caller typed reaches the SQL text.
        var idList = string.Join(",", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        var from = query.FromNs.ToString(CultureInfo.InvariantCulture);
        var to = query.ToNs.ToString(CultureInfo.InvariantCulture);
        var limit = (query.RowLimit + 1L).ToString(CultureInfo.InvariantCulture);
        var sql = new StringBuilder(256);
        if (query.StepNs is not { } stepNs)
        {
            sql.Append(CultureInfo.InvariantCulture, $"SELECT series_id, ts, CAST(value AS DOUBLE) FROM {table.Name} WHERE series_id IN ({idList}) AND ts >= {from} AND ts < {to} ORDER BY series_id, ts LIMIT {limit}");
            return sql.ToString();
        }

        var step = stepNs.ToString(CultureInfo.InvariantCulture);
        var aggregate = query.Aggregate switch
        {
            Aggregate.Mean => "avg(v)",
            Aggregate.Min => "min(v)",
            Aggregate.Max => "max(v)",
            Aggregate.Sum => "sum(v)",
            Aggregate.Count => "count(v)",
            Aggregate.Last => "arg_max(v, ts)",
            _ => "quantile_cont(v, 0.95)",
        };
        sql.Append(CultureInfo.InvariantCulture, $"SELECT series_id, {from} + ((ts - {from}) // {step}) * {step} AS bucket, {aggregate} FROM (SELECT series_id, ts, CAST(value AS DOUBLE) AS v FROM {table.Name} WHERE series_id IN ({idList}) AND ts >= {from} AND ts < {to}) GROUP BY series_id, bucket ORDER BY series_id, bucket LIMIT {limit}");
        return sql.ToString();
    }
}
