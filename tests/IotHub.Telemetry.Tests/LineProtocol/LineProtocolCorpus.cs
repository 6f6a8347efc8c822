using System.Reflection;
using System.Text.Json;

namespace IotHub.Telemetry.Tests.LineProtocol;

/// <summary>
/// Loads the line protocol conformance corpus (influxdata/line-protocol testdata/corpus.json,
/// see shared/data/line-protocol/SOURCE.md) once per test run.
/// </summary>
internal static class LineProtocolCorpus
{
    public const string MissingCorpusKey = "<corpus file missing>";

    private static readonly Lazy<CorpusDocument> Document = new(Load);

    public static string? LoadError => Document.Value.Error;

    public static string? CorpusPath => Document.Value.Path;

    public static IReadOnlyDictionary<string, JsonElement> DecodeCases => Document.Value.Decode;

    public static IReadOnlyDictionary<string, JsonElement> EncodeCases => Document.Value.Encode;

    /// <summary>
    /// Walks up from the test binaries to the folder holding IotHub.sln; the corpus is in
    /// ../shared/data/line-protocol beside the repository. When the binaries live outside the
    /// repository (dotnet build --artifacts-path), walks up from the project's source folder,
    /// recorded in the assembly at build time.
    /// </summary>
    public static string? FindCorpusPath()
    {
        var repository = FindRepository(AppContext.BaseDirectory) ?? FindRepository(ProjectDirectory());
        return repository is null
            ? null
            : Path.GetFullPath(Path.Combine(repository, "..", "shared", "data", "line-protocol", "corpus-dev.json"));
    }

    private static string? FindRepository(string? start)
    {
        for (var directory = start is null ? null : new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IotHub.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    private static string? ProjectDirectory()
    {
        foreach (var metadata in typeof(LineProtocolCorpus).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        {
            if (metadata.Key == "ProjectDirectory")
            {
                return metadata.Value;
            }
        }

        return null;
    }

    private static CorpusDocument Load()
    {
        var path = FindCorpusPath();
        if (path is null)
        {
            return CorpusDocument.Failed(null, $"No folder containing IotHub.sln above {AppContext.BaseDirectory}; cannot locate the line protocol corpus.");
        }

        if (!File.Exists(path))
        {
            return CorpusDocument.Failed(path, $"The line protocol conformance corpus is missing: expected it at {path}.");
        }

        using var stream = File.OpenRead(path);
        using var json = JsonDocument.Parse(stream);
        var decode = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var entry in json.RootElement.GetProperty("decode").EnumerateObject())
        {
            decode[entry.Name] = entry.Value.Clone();
        }

        var encode = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (json.RootElement.TryGetProperty("encode", out var encodeCases))
        {
            foreach (var entry in encodeCases.EnumerateObject())
            {
                encode[entry.Name] = entry.Value.Clone();
            }
        }

        return new CorpusDocument(path, null, decode, encode);
    }

    private sealed record CorpusDocument(string? Path, string? Error, Dictionary<string, JsonElement> Decode, Dictionary<string, JsonElement> Encode)
    {
        public static CorpusDocument Failed(string? path, string error) => new(path, error, [], []);
    }
}
