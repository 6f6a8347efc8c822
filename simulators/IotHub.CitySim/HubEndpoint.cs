using System.Text.Json;

namespace IotHub.CitySim;

/// <summary>Where the hub listens and the admin token to use: from options, or from the hub's data folder.</summary>
/// <param name="Http">Base URL of the HTTP API, e.g. <c>http://127.0.0.1:8080</c>.</param>
/// <param name="Mqtt">MQTT endpoint, or <c>null</c> when unknown.</param>
/// <param name="AdminToken">The admin token.</param>
internal sealed record HubEndpoint(Uri Http, Uri? Mqtt, string AdminToken)
{
    /// <summary>
    /// Fills what the options leave out from <c>DIR/endpoints.json</c> and <c>DIR/admin.json</c>
    /// when <paramref name="dataDirectory"/> is given.
    /// </summary>
    /// <exception cref="ArgumentException">Something needed is neither given nor in the data folder.</exception>
    public static HubEndpoint Resolve(string? http, string? mqtt, string? token, string? dataDirectory)
    {
        if (dataDirectory is not null)
        {
            var endpoints = Read(Path.Combine(dataDirectory, "endpoints.json"));
            http ??= endpoints.TryGetProperty("http", out var h) ? h.GetString() : null;
            mqtt ??= endpoints.TryGetProperty("mqtt", out var m) ? m.GetString() : null;
            if (token is null)
            {
                var admin = Read(Path.Combine(dataDirectory, "admin.json"));
                token = admin.TryGetProperty("adminToken", out var t) ? t.GetString() : null;
            }
        }

        if (http is null || !Uri.TryCreate(http, UriKind.Absolute, out var httpUri))
        {
            throw new ArgumentException("--hub: give the hub's HTTP URL (http://127.0.0.1:8080), or --hub-data DIR with its endpoints.json.");
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new ArgumentException("--token: give the admin token, or --hub-data DIR with its admin.json.");
        }

        Uri? mqttUri = mqtt is not null && Uri.TryCreate(mqtt, UriKind.Absolute, out var parsed) ? parsed : null;
        return new HubEndpoint(httpUri, mqttUri, token);
    }

    private static JsonElement Read(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }
}
