using System.Text.Json;
using IotHub.City.ScenarioFiles;

namespace IotHub.City;

/// <summary>
/// Scenario files: the JSON form of a <see cref="CityScenario"/>. Property names are the
/// camel-cased names of the model's properties; durations carry their unit in the name
/// (<c>travelTimeDownstreamMinutes</c>, <c>cycleSeconds</c>); other units are those documented on
/// the model (metres, km2, m3/s, mm/h, km/h). Saving then loading gives an equal scenario, and
/// saving it again the same bytes.
/// </summary>
/// <remarks>
/// A file with mistakes is rejected with a <see cref="ScenarioFileException"/> listing every
/// mistake with the path of its field, e.g.
/// <c>rivers[2].gauges[0].thresholds.floodDanger: must be above evacuationJudgement (2.9), was 2.5</c>.
/// Unknown and duplicated properties are mistakes too: a misspelt field is never silently ignored.
/// </remarks>
public static class CityScenarioFile
{
    /// <summary>The names <see cref="Resolve"/> knows besides file paths.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = ["default", "demo"];

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        NewLine = "\n",
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The scenario as scenario-file JSON (UTF-8, indented, line feeds, ending with one).</summary>
    public static byte[] ToUtf8Json(CityScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var json = JsonSerializer.SerializeToUtf8Bytes(ScenarioDocumentWriter.Write(scenario), Options);
        var withNewLine = new byte[json.Length + 1];
        json.CopyTo(withNewLine, 0);
        withNewLine[^1] = (byte)'\n';
        return withNewLine;
    }

    /// <summary>Reads a scenario from scenario-file JSON.</summary>
    /// <param name="utf8Json">The file's content.</param>
    /// <param name="source">What to call the file in error messages.</param>
    /// <exception cref="ScenarioFileException">The JSON is malformed or a field is missing or wrong; every mistake is listed with its field's path.</exception>
    public static CityScenario Parse(ReadOnlySpan<byte> utf8Json, string source = "scenario")
    {
        ScenarioDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<ScenarioDocument>(utf8Json, Options);
        }
        catch (JsonException ex)
        {
            throw new ScenarioFileException(source, [Describe(ex)]);
        }

        if (document is null)
        {
            throw new ScenarioFileException(source, [new ScenarioFileError(string.Empty, "the file holds null, not a scenario object")]);
        }

        var reader = new ScenarioDocumentReader();
        return reader.Read(document) ?? throw new ScenarioFileException(source, reader.Errors);
    }

    /// <summary>Reads the scenario file at <paramref name="path"/>.</summary>
    /// <exception cref="ScenarioFileException">The file has mistakes (listed with their paths).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CityScenario Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(System.IO.File.ReadAllBytes(path), path);
    }

    /// <summary>Writes <paramref name="scenario"/> to a scenario file at <paramref name="path"/>.</summary>
    public static void Save(CityScenario scenario, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        System.IO.File.WriteAllBytes(path, ToUtf8Json(scenario));
    }

    /// <summary>
    /// <c>default</c> (or <c>tokyo</c>): <see cref="CityScenario.Default"/>; <c>demo</c>:
    /// <see cref="CityScenario.Demo"/>; anything else: the path of a scenario file.
    /// </summary>
    /// <exception cref="ScenarioFileException">The file has mistakes.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CityScenario Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        return nameOrPath switch
        {
            "default" or "tokyo" => CityScenario.Default,
            "demo" => CityScenario.Demo,
            _ => Load(nameOrPath),
        };
    }

    private static ScenarioFileError Describe(JsonException ex)
    {
        // System.Text.Json reports "$.rivers[2].gauges[0].name"; files name fields without the "$.".
        string path = ex.Path is { } p ? (p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : p.TrimStart('$')) : string.Empty;
        string where = ex.LineNumber is { } line
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1})")
            : string.Empty;
        string message = ex.Message;
        string what =
            message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field (misspelt? names are camelCase, e.g. floodDanger)"
            : message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "appears twice"
            : message.Contains("System.Double", StringComparison.Ordinal) ? "must be a number"
            : message.Contains("System.Int32", StringComparison.Ordinal) ? "must be a whole number"
            : message.Contains("System.String", StringComparison.Ordinal) ? "must be a string"
            : message.Contains("System.Collections.Generic.List", StringComparison.Ordinal) ? "must be a list ([...])"
            : message.Contains("ScenarioFiles.", StringComparison.Ordinal) ? "must be an object ({...})"
            : "invalid JSON: " + FirstSentence(message);
        return new ScenarioFileError(path, what + where);
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }
}
