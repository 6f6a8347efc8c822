using System.Globalization;
using System.Text.Json;

namespace IotHub.Edge;

/// <summary>
/// What a device's sampling and local rules follow; set in the agent's config file and changed
/// remotely through the retained config topic (<c>iothub/v1/{id}/config</c>), whose JSON uses the
/// same names as the config file: <c>normalIntervalSeconds</c>, <c>fastIntervalSeconds</c>,
/// <c>standby</c>, <c>floodDanger</c>, <c>risingFastMetersPerHour</c>, <c>sewerAlarmLevel</c>,
/// <c>version</c>. A name left out keeps its current value.
/// </summary>
public sealed record DeviceSettings
{
    /// <summary>Shortest sampling interval accepted.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest sampling interval accepted.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>Sampling interval in calm conditions. Default 10 minutes (Tokyo's gauges report every 10 minutes).</summary>
    public TimeSpan NormalInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Sampling interval while a rule asks for more (above standby, rising fast, surcharged). Default 1 minute.</summary>
    public TimeSpan FastInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>River gauge: 水防団待機水位 in metres; at or above it sampling is fast and readings are alarms. <c>null</c>: no such rule.</summary>
    public double? Standby { get; init; }

    /// <summary>River gauge: 氾濫危険水位 in metres; at or above it nearby poles show the disaster message. <c>null</c>: no such rule.</summary>
    public double? FloodDanger { get; init; }

    /// <summary>River gauge or manhole: a rise of at least this many metres per hour makes sampling fast. Default 0.5 m/h.</summary>
    public double RisingFastMetersPerHour { get; init; } = 0.5;

    /// <summary>Manhole: in-pipe level in metres at or above which readings are alarms and sampling is fast. <c>null</c>: surcharge only.</summary>
    public double? SewerAlarmLevel { get; init; }

    /// <summary>Version of the remote configuration applied (0: from the config file).</summary>
    public long Version { get; init; }

    /// <summary>
    /// These settings with the values <paramref name="json"/> names replaced. Throws a
    /// <see cref="FormatException"/> naming the first bad value.
    /// </summary>
    public DeviceSettings With(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("settings must be a JSON object");
        }

        var result = this;
        foreach (var property in json.EnumerateObject())
        {
            result = property.Name switch
            {
                "normalIntervalSeconds" => result with { NormalInterval = Interval(property) },
                "fastIntervalSeconds" => result with { FastInterval = Interval(property) },
                "standby" => result with { Standby = Level(property) },
                "floodDanger" => result with { FloodDanger = Level(property) },
                "risingFastMetersPerHour" => result with { RisingFastMetersPerHour = Number(property, 0.001, 100) },
                "sewerAlarmLevel" => result with { SewerAlarmLevel = Level(property) },
                "version" => result with { Version = (long)Number(property, 0, long.MaxValue) },
                _ => result,
            };
        }

        if (result.Standby is { } standby && result.FloodDanger is { } danger && !(standby < danger))
        {
            throw new FormatException($"standby ({Text(standby)} m) must be below floodDanger ({Text(danger)} m)");
        }

        return result;
    }

    /// <summary>Writes the settings as a JSON object with the names <see cref="With"/> reads.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("version", Version);
        writer.WriteNumber("normalIntervalSeconds", NormalInterval.TotalSeconds);
        writer.WriteNumber("fastIntervalSeconds", FastInterval.TotalSeconds);
        WriteOptional(writer, "standby", Standby);
        WriteOptional(writer, "floodDanger", FloodDanger);
        writer.WriteNumber("risingFastMetersPerHour", RisingFastMetersPerHour);
        WriteOptional(writer, "sewerAlarmLevel", SewerAlarmLevel);
        writer.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static TimeSpan Interval(JsonProperty property)
    {
        var seconds = Number(property, MinInterval.TotalSeconds, MaxInterval.TotalSeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    private static double? Level(JsonProperty property) =>
        property.Value.ValueKind == JsonValueKind.Null ? null : Number(property, -100, 1000);

    private static double Number(JsonProperty property, double min, double max)
    {
        if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var value) || !double.IsFinite(value))
        {
            throw new FormatException($"{property.Name} must be a number, was {property.Value.GetRawText()}");
        }

        if (value < min || value > max)
        {
            throw new FormatException($"{property.Name} must be between {Text(min)} and {Text(max)}, was {Text(value)}");
        }

        return value;
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
