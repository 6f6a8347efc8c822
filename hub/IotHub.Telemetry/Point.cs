namespace IotHub.Telemetry;

/// <summary>
/// A point of the InfluxDB line protocol data model: a measurement, tags sorted by key
/// (ordinal), at least one field, and a timestamp in nanoseconds since the Unix epoch.
/// </summary>
public sealed class Point
{
    /// <summary>Creates a point; tags are sorted by key here so every producer agrees on series identity.</summary>
    /// <exception cref="ArgumentException">No fields, an empty measurement, or a duplicate tag key.</exception>
    public Point(string measurement, IEnumerable<KeyValuePair<string, string>> tags, IEnumerable<KeyValuePair<string, FieldValue>> fields, long timestampNs)
    {
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(fields);
        var sortedTags = tags.ToArray();
        Array.Sort(sortedTags, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        for (var i = 1; i < sortedTags.Length; i++)
        {
            if (string.Equals(sortedTags[i - 1].Key, sortedTags[i].Key, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Duplicate tag key '{sortedTags[i].Key}'.", nameof(tags));
            }
        }

        var fieldArray = fields.ToArray();
        if (fieldArray.Length == 0)
        {
            throw new ArgumentException("A point needs at least one field.", nameof(fields));
        }

        Measurement = measurement;
        Tags = sortedTags;
        Fields = fieldArray;
        TimestampNs = timestampNs;
    }

    /// <summary>The measurement name.</summary>
    public string Measurement { get; }

    /// <summary>Tags sorted by key (ordinal).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    /// <summary>Fields in the order they were given.</summary>
    public IReadOnlyList<KeyValuePair<string, FieldValue>> Fields { get; }

    /// <summary>Nanoseconds since the Unix epoch (UTC).</summary>
    public long TimestampNs { get; }

    /// <summary>The value of a tag, or <c>null</c>.</summary>
    public string? GetTag(string key)
    {
        foreach (var tag in Tags)
        {
            if (string.Equals(tag.Key, key, StringComparison.Ordinal))
            {
                return tag.Value;
            }
        }

        return null;
    }
}
