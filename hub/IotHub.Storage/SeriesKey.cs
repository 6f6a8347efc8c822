using System.Text;

namespace IotHub.Storage;

/// <summary>
/// The canonical text of a series' identity: measurement, sorted tags and field, with the
/// separators escaped so that distinct series never share a key.
/// </summary>
internal static class SeriesKey
{
    public static string Create(string measurement, IReadOnlyList<KeyValuePair<string, string>> sortedTags, string field)
    {
        var builder = new StringBuilder(64);
        Append(builder, measurement);
        foreach (var tag in sortedTags)
        {
            builder.Append(',');
            Append(builder, tag.Key);
            builder.Append('=');
            Append(builder, tag.Value);
        }

        builder.Append(' ');
        Append(builder, field);
        return builder.ToString();
    }

    /// <summary>Tags as stored in the series table: the same escaped form, without measurement or field.</summary>
    public static string EncodeTags(IReadOnlyList<KeyValuePair<string, string>> sortedTags)
    {
        var builder = new StringBuilder(48);
        for (var i = 0; i < sortedTags.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            Append(builder, sortedTags[i].Key);
            builder.Append('=');
            Append(builder, sortedTags[i].Value);
        }

        return builder.ToString();
    }

    public static List<KeyValuePair<string, string>> DecodeTags(string encoded)
    {
        var tags = new List<KeyValuePair<string, string>>();
        if (encoded.Length == 0)
        {
            return tags;
        }

        var current = new StringBuilder();
        string? key = null;
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '\\' && i + 1 < encoded.Length)
            {
                current.Append(encoded[++i]);
            }
            else if (c == '=' && key is null)
            {
                key = current.ToString();
                current.Clear();
            }
            else if (c == ',')
            {
                tags.Add(new(key ?? string.Empty, current.ToString()));
                key = null;
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        tags.Add(new(key ?? string.Empty, current.ToString()));
        return tags;
    }

    private static void Append(StringBuilder builder, string text)
    {
        foreach (var c in text)
        {
            if (c is ',' or '=' or ' ' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }
    }
}
