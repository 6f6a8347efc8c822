using System.Text.Json;
using IotHub.Ingest;

namespace IotHub.Hub;

/// <summary>
/// The admin token in <c>DIR/admin.json</c> (<c>{"adminToken": "..."}</c>), readable by the owner only:
/// generated on first start, or the configured one.
/// </summary>
internal static class AdminTokenFile
{
    private const string FileName = "admin.json";

    public static string Load(string dataDirectory, string? configured)
    {
        var path = Path.Combine(dataDirectory, FileName);
        string? token = configured;
        if (token is null && File.Exists(path))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.TryGetProperty("adminToken", out var stored) && stored.GetString() is { Length: >= 16 } text)
            {
                token = text;
            }
            else
            {
                throw new InvalidDataException($"{path} has no \"adminToken\" of at least 16 characters; fix or delete it.");
            }
        }

        if (token is { Length: < 16 })
        {
            throw new ArgumentException("The admin token must have at least 16 characters.");
        }

        token ??= DeviceRegistry.NewToken();
        PrivateFile.WriteAtomically(path, stream => JsonSerializer.Serialize(stream, new Dictionary<string, string> { ["adminToken"] = token }));
        return token;
    }
}
