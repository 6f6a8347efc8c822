using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotHub.CitySim;

/// <summary>
/// Registers devices with the hub's API using the admin token: <c>POST /api/v1/devices/bulk</c>
/// in chunks, so the hub validates each chunk at once and writes its registry once per chunk.
/// </summary>
internal static class DeviceRegistrar
{
    /// <summary>Devices per bulk request.</summary>
    private const int ChunkSize = 5_000;

    /// <summary>One device to register, with the token it will use.</summary>
    public sealed record Registration(string Id, string Kind, string Name, IReadOnlyDictionary<string, string> Tags, string Token);

    /// <summary>Registers every device; <paramref name="progress"/> gets the count registered so far after each chunk.</summary>
    /// <exception cref="HttpRequestException">The hub refused a chunk; its answer names the device and the problem.</exception>
    public static async Task RegisterAsync(HubEndpoint hub, IReadOnlyList<Registration> devices, Action<int>? progress, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = hub.Http, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", hub.AdminToken);
        int registered = 0;
        foreach (var chunk in devices.Chunk(ChunkSize))
        {
            var body = chunk.Select(d => new { id = d.Id, kind = d.Kind, name = d.Name, tags = d.Tags, token = d.Token });
            using var response = await http.PostAsJsonAsync("api/v1/devices/bulk", body, JsonSerializerOptions.Web, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"registering devices {registered}..{registered + chunk.Length - 1}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }

            registered += chunk.Length;
            progress?.Invoke(registered);
        }
    }

    /// <summary>A token derived from (seed, device id): the same run can reconnect without registering again.</summary>
    public static string TokenFor(int seed, string deviceId)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"iothub-citysim/{seed}/{deviceId}"));
        return "sim-" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
