using System.Text.Json;

namespace IotHub.IntegrationTests;

internal static class HubApiExtensions
{
    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    /// <summary>Writes line protocol (ns precision) through the InfluxDB-compatible API and checks it was accepted whole.</summary>
    public static async Task WriteLinesAsync(this HttpClient client, string lines)
    {
        using var content = new StringContent(lines, System.Text.Encoding.UTF8, "text/plain");
        using var write = await client.PostAsync(new Uri("/api/v2/write?bucket=b", UriKind.Relative), content);
        Assert.True(write.IsSuccessStatusCode, $"write: {(int)write.StatusCode} {await write.Content.ReadAsStringAsync()}");
    }

    /// <summary>Registers a device through the API and returns its token.</summary>
    public static async Task<string> RegisterDeviceAsync(this HttpClient client, string id, string kind)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { id, kind }), System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("/api/v1/devices", UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"register {id}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>The latest value of a device's field, or null when there is none yet.</summary>
    public static async Task<JsonElement?> LatestValueAsync(this HttpClient client, string device, string field)
    {
        var latest = await client.GetJsonAsync($"/api/v1/latest?device={device}");
        return latest.GetProperty("fields").TryGetProperty(field, out var f) ? f.GetProperty("value") : null;
    }

    public static async Task<long> RejectionsAsync(this HttpClient client, string reason)
    {
        var stats = await client.GetJsonAsync("/api/v1/stats");
        return stats.GetProperty("rejections").GetProperty(reason).GetInt64();
    }
}
