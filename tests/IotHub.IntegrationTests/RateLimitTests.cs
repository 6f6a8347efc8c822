using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotHub.IntegrationTests;

/// <summary>The per-device rate limit, on a hub started with a small one: over HTTP and MQTT, slowed first, refused with a retry time beyond.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private HubProcess _hub = null!;
    private HttpClient _api = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubProcess.StartAsync("serve", environment: new Dictionary<string, string>
        {
            ["IOTHUB_Ingest__MaxPointsPerSecondPerDevice"] = "5",
            ["IOTHUB_Ingest__DeviceBurstPoints"] = "20",
            ["IOTHUB_Ingest__MaxRateLimitDelay"] = "00:00:03",
        });
        _api = _hub.CreateApiClient();
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _hub.DisposeAsync();
    }

    [Fact]
    public async Task HttpWrite_DeviceOverItsRate_HeldThen429WithRetryAfter_AdminNotLimited()
    {
        var token = await _api.RegisterDeviceAsync("det-rate-1", "traffic-detector");
        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 300;

        using var burst = await PostAsync(Lines(start, 20), token);
        // With the bucket empty, 14 points at 5 points/s wait 2.8 s (less whatever refilled meanwhile),
        // within the 3 s hold; 20 more on top of that debt would need several seconds beyond it.
        using var held = await PostAsync(Lines(start + 20, 14), token);
        using var refused = await PostAsync(Lines(start + 34, 20), token);
        using var admin = await PostAsync(Lines(start + 54, 100, "det-admin"), _hub.AdminToken);

        Assert.Equal(HttpStatusCode.NoContent, burst.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, held.StatusCode);
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.ToString());
        var message = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
        Assert.Contains("device rate limit: 20 points exceed the allowance of 5 points/s", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, admin.StatusCode);
        Assert.Equal(1, await _api.RejectionsAsync("RateLimited"));
        var metrics = await _api.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("iothub_rate_limit_delays_total 1", metrics, StringComparison.Ordinal);
        Assert.Contains("iothub_rejections_total{reason=\"RateLimited\"} 1", metrics, StringComparison.Ordinal);
        // What was held is stored; what was refused is not.
        var stored = await _api.GetJsonAsync($"/api/v1/query?measurement=traffic&field=volume&tag.device=det-rate-1&from={start}000000000&to={start + 100}000000000");
        Assert.Equal(34, Assert.Single(stored.GetProperty("series").EnumerateArray()).GetProperty("points").GetArrayLength());
    }

    [Fact]
    public async Task MqttPublish_DeviceOverItsRate_QuotaExceededNamingTheLimit_NotStored()
    {
        var token = await _api.RegisterDeviceAsync("det-rate-2", "traffic-detector");
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _hub.MqttPort)
            .WithClientId("det-rate-2")
            .WithCredentials("det-rate-2", token)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .Build());
        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 300;

        var first = await client.PublishAsync(Message(Lines(start, 20)));
        var second = await client.PublishAsync(Message(Lines(start + 20, 30)));

        Assert.True(first.IsSuccess, first.ReasonCode.ToString());
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, second.ReasonCode);
        Assert.Contains("device rate limit: 30 points", second.ReasonString, StringComparison.Ordinal);
        Assert.Equal(1, await _api.RejectionsAsync("RateLimited"));
        var stored = await _api.GetJsonAsync($"/api/v1/query?measurement=traffic&field=volume&tag.device=det-rate-2&from={start}000000000&to={start + 100}000000000");
        Assert.Equal(20, Assert.Single(stored.GetProperty("series").EnumerateArray()).GetProperty("points").GetArrayLength());
    }

    private static string Lines(long startSeconds, int count, string? device = null) => string.Concat(Enumerable.Range(0, count).Select(i =>
        string.Create(CultureInfo.InvariantCulture, $"traffic,{(device is null ? "" : "device=" + device + ",")}lane=1 volume={i}i {(startSeconds + i) * 1_000_000_000}\n")));

    private async Task<HttpResponseMessage> PostAsync(string body, string token)
    {
        using var client = new HttpClient { BaseAddress = _hub.Http };
        client.DefaultRequestHeaders.Authorization = new("Token", token);
        using var content = new StringContent(body, Encoding.UTF8, "text/plain");
        return await client.PostAsync(new Uri("/api/v2/write?bucket=b&precision=ns", UriKind.Relative), content);
    }

    private static MqttApplicationMessage Message(string payload) => new MqttApplicationMessageBuilder()
        .WithTopic("iothub/v1/det-rate-2/telemetry")
        .WithPayload(Encoding.UTF8.GetBytes(payload))
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .Build();
}
