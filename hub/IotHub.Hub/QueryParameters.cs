using System.Globalization;
using IotHub.Storage;
using IotHub.Telemetry;

namespace IotHub.Hub;

/// <summary>
/// Reads <c>/api/v1/query</c>'s parameters: <c>measurement</c>, <c>field</c>, <c>tag.K=V</c>,
/// <c>from</c>/<c>to</c> (RFC 3339, ns since the epoch, <c>now</c>, <c>now-90m</c> or <c>now+5m</c>),
/// <c>step</c> (<c>10s</c>, <c>1m</c>, <c>1h</c>, <c>1d</c>), <c>agg</c> and <c>limit</c>.
/// </summary>
internal static class QueryParameters
{
    public const int DefaultRowLimit = 100_000;
    public const int MaxRowLimit = 1_000_000;

    public static SeriesQuery Parse(IQueryCollection query, DateTimeOffset now)
    {
        var measurement = Required(query, "measurement");
        var field = Required(query, "field");
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in query)
        {
            if (key.StartsWith("tag.", StringComparison.Ordinal) && key.Length > 4)
            {
                tags[key[4..]] = value.ToString();
            }
        }

        var to = query.TryGetValue("to", out var toText) ? ParseTime(toText.ToString(), now, "to") : TimeUnits.FromDateTimeOffset(now);
        var from = query.TryGetValue("from", out var fromText) ? ParseTime(fromText.ToString(), now, "from") : to - (3600L * 1_000_000_000);
        long? step = query.TryGetValue("step", out var stepText) ? ParseDuration(stepText.ToString(), "step") : null;
        var aggregate = Aggregate.Mean;
        if (query.TryGetValue("agg", out var aggText) && !Enum.TryParse(aggText.ToString(), ignoreCase: true, out aggregate))
        {
            throw new QueryException($"agg '{aggText}' is not one of mean, min, max, sum, count, last, p95");
        }

        var limit = DefaultRowLimit;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxRowLimit))
        {
            throw new QueryException($"limit must be 1..{MaxRowLimit}");
        }

        return new SeriesQuery(measurement, field, tags, from, to, step, aggregate, limit);
    }

    private static string Required(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value.ToString())
            ? value.ToString()
            : throw new QueryException($"the parameter '{name}' is required");

    public static long ParseTime(string text, DateTimeOffset now, string name)
    {
        if (text == "now")
        {
            return TimeUnits.FromDateTimeOffset(now);
        }

        if (text.StartsWith("now-", StringComparison.Ordinal))
        {
            return TimeUnits.FromDateTimeOffset(now) - ParseDuration(text[4..], name);
        }

        if (text.StartsWith("now+", StringComparison.Ordinal))
        {
            return TimeUnits.FromDateTimeOffset(now) + ParseDuration(text[4..], name);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ns))
        {
            return ns;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return TimeUnits.FromDateTimeOffset(time);
        }

        throw new QueryException($"{name} '{text}' is not RFC 3339, ns since the epoch, 'now', 'now-<duration>' or 'now+<duration>'");
    }

    public static long ParseDuration(string text, string name)
    {
        var unit = text.Length > 0 ? text[^1] : ' ';
        long scale = unit switch
        {
            's' => 1_000_000_000L,
            'm' => 60_000_000_000L,
            'h' => 3_600_000_000_000L,
            'd' => 86_400_000_000_000L,
            _ => 0,
        };
        if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            scale = 1_000_000L;
            text = text[..^1];
        }

        if (scale == 0 || !long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0 || count > long.MaxValue / scale)
        {
            throw new QueryException($"{name} '{text}' is not a duration such as 10s, 5m, 1h or 1d");
        }

        return count * scale;
    }
}
