using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>One series: a measurement, its tag set and one field. Ids are dense and stable on disk.</summary>
/// <param name="Id">Dictionary id (the samples tables refer to it).</param>
/// <param name="Measurement">Measurement name.</param>
/// <param name="Tags">Tags sorted by key.</param>
/// <param name="Field">Field name.</param>
/// <param name="Kind">Field type; a series keeps the type of its first write.</param>
public sealed record SeriesInfo(int Id, string Measurement, IReadOnlyList<KeyValuePair<string, string>> Tags, string Field, FieldKind Kind)
{
    /// <summary>The tag that names the device a series came from.</summary>
    public const string DeviceTag = "device";

    /// <summary>The device id tag, or <c>null</c>.</summary>
    public string? Device
    {
        get
        {
            foreach (var tag in Tags)
            {
                if (string.Equals(tag.Key, DeviceTag, StringComparison.Ordinal))
                {
                    return tag.Value;
                }
            }

            return null;
        }
    }
}
