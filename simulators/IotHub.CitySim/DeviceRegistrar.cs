using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace IotHub.CitySim;

/// <summary>Registers devices with the hub's API (<c>POST /api/v1/devices</c>) using the admin token, a few at a time.</summary>
internal static class DeviceRegistrar
{
    /// <summary>One device to register, with the token it will use.</summary>
    public sealed record Registration(string Id, string Kind, string Name, IReadOnlyDictionary<string, string> Tags, string Token);

    public static async Task RegisterAsync(HubEndpoint hub, IReadOnlyList<Registration> devices, int concurrency, Action<int>? progress, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = hub.Http };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", hub.AdminToken);
        int done = 0;
        await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (device, ct) =>
        {
            var body = new { id = device.Id, kind = device.Kind, name = device.Name, tags = device.Tags, token = device.Token };
            using var response = await http.PostAsJsonAsync("api/v1/devices", body, JsonSerializerOptions.Web, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"registering {device.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }

            progress?.Invoke(Interlocked.Increment(ref done));
        });
    }

    /// <summary>A token derived from (seed, device id): the same run can reconnect without registering again.</summary>
    public static string TokenFor(int seed, string deviceId)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"iothub-citysim/{seed}/{deviceId}"));
        return "sim-" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
