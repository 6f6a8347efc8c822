using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotHub.IntegrationTests;

/// <summary>Starting, stopping with Ctrl-C, and restarting the hub on the same data folder.</summary>
public sealed class HubLifecycleTests
{
    [Fact]
    public async Task CtrlC_ThenRestartOnSameData_ExitsZeroAndKeepsReadings()
    {
        var data = Directory.CreateTempSubdirectory("iothub-restart-").FullName;
        try
        {
            string token;
            await using (var hub = await HubProcess.StartAsync("serve", data))
            {
                using var api = hub.CreateApiClient();
                token = await api.RegisterDeviceAsync("gauge-restart-1", "river-gauge");
                using var client = new MqttClientFactory().CreateMqttClient();
                await client.ConnectAsync(new MqttClientOptionsBuilder()
                    .WithTcpServer("127.0.0.1", hub.MqttPort)
                    .WithClientId("gauge-restart-1")
                    .WithCredentials("gauge-restart-1", token)
                    .WithProtocolVersion(MqttProtocolVersion.V500)
                    .Build());
                var start = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
                for (var i = 0; i < 50; i++)
                {
                    var payload = $"{{\"ts\": {start + (i * 1000)}, \"values\": {{\"level\": {1 + (i / 100.0):0.00}}}}}";
                    var ack = await client.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic("iothub/v1/gauge-restart-1/telemetry")
                        .WithPayload(Encoding.UTF8.GetBytes(payload))
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                        .Build());
                    Assert.True(ack.IsSuccess, ack.ReasonString);
                }

                // Acknowledged means committed: the value is there without waiting.
                Assert.Equal(1.49, (await api.LatestValueAsync("gauge-restart-1", "level"))!.Value.GetDouble());

                var exitCode = await hub.InterruptAsync(TimeSpan.FromSeconds(30));

                Assert.Equal(0, exitCode);
                Assert.DoesNotContain("Exception", hub.Output, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", hub.Output, StringComparison.Ordinal);
                Assert.Contains("Stopped.", hub.Output, StringComparison.Ordinal);
            }

            await using (var restarted = await HubProcess.StartAsync("serve", data))
            {
                using var api = restarted.CreateApiClient();
                Assert.Equal(1.49, (await api.LatestValueAsync("gauge-restart-1", "level"))!.Value.GetDouble());
                var stats = await api.GetJsonAsync("/api/v1/stats");
                Assert.Equal(1, stats.GetProperty("series").GetInt32());
                var devices = await api.GetJsonAsync("/api/v1/devices");
                Assert.Equal("gauge-restart-1", devices[0].GetProperty("id").GetString());
                Assert.Equal(0, await restarted.InterruptAsync(TimeSpan.FromSeconds(30)));
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Api_WithoutOrWithWrongToken_Unauthorized()
    {
        await using var hub = await HubProcess.StartAsync("serve");
        using var anonymous = new HttpClient { BaseAddress = hub.Http };
        using var wrong = hub.CreateApiClient("wrong-token-wrong-token");

        using var none = await anonymous.GetAsync(new Uri("/api/v1/devices", UriKind.Relative));
        using var bad = await wrong.GetAsync(new Uri("/api/v1/devices", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, bad.StatusCode);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.Combine(hub.DataDirectory, "admin.json"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }
    }

    [Fact]
    public async Task RegisterDevice_UnknownKindOrBadId_ProblemNamesIt()
    {
        await using var hub = await HubProcess.StartAsync("serve");
        using var api = hub.CreateApiClient();

        using var unknownKind = await api.PostAsync(new Uri("/api/v1/devices", UriKind.Relative), Json("{\"id\":\"x-1\",\"kind\":\"toaster\"}"));
        using var badId = await api.PostAsync(new Uri("/api/v1/devices", UriKind.Relative), Json("{\"id\":\"a/b\",\"kind\":\"manhole\"}"));
        using var unknownDevice = await api.GetAsync(new Uri("/api/v1/latest?device=nope", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknownKind.StatusCode);
        Assert.Contains("Unknown device kind 'toaster'", await unknownKind.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Contains("Device id 'a/b' is invalid", await badId.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknownDevice.StatusCode);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
