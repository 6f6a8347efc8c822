using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotHub.Edge.Tests;

/// <summary>Remote configuration through the retained config topic, reported back on the state topic with health.</summary>
public sealed class RemoteConfigTests
{
    [Fact]
    public async Task RetainedConfig_AppliedAndReportedOnStateTopic_BadConfigReportedAndIgnored()
    {
        await using var hub = await HubProcess.StartAsync();
        const string device = "cfg-gauge";
        var token = await hub.RegisterAsync(device, "river-gauge");
        using var folder = new TempFolder();

        using var admin = new MqttClientFactory().CreateMqttClient();
        await admin.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", hub.MqttPort)
            .WithClientId("edge-test-admin")
            .WithCredentials("iothub-admin", hub.AdminToken)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .Build());
        var states = new ConcurrentQueue<JsonElement>();
        admin.ApplicationMessageReceivedAsync += e =>
        {
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            states.Enqueue(json.RootElement.Clone());
            return Task.CompletedTask;
        };
        await admin.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"iothub/v1/{device}/state", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await PublishConfigAsync(admin, device, """{"version": 7, "normalIntervalSeconds": 0.5, "fastIntervalSeconds": 0.25, "standby": 0.3}""");

        var options = new EdgeAgentOptions { Port = hub.MqttPort, QueuePath = folder.File("queue.db"), HealthInterval = TimeSpan.FromSeconds(1) };
        var settings = new DeviceSettings { NormalInterval = TimeSpan.FromMinutes(10), FastInterval = TimeSpan.FromMinutes(1), Standby = 1.0, FloodDanger = 2.0 };
        await using var agent = new EdgeAgent(options, [new EdgeDeviceOptions(device, token, ScriptedSensor.Gauge(0.5)) { Settings = settings }], TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = agent.RunAsync(stop.Token);
        try
        {
            // Level 0.5 is above the remote standby (0.3): the gauge samples fast, and says so.
            await Poll.UntilAsync(
                () => Task.FromResult(states.Any(s => Version(s) == 7 && s.GetProperty("health").GetProperty("sampling").GetString() == "fast")),
                TimeSpan.FromSeconds(30),
                () => string.Join("\n", states));
            var applied = states.Last(s => Version(s) == 7);
            Assert.Equal(0.5, applied.GetProperty("config").GetProperty("normalIntervalSeconds").GetDouble());
            Assert.Equal(JsonValueKind.Null, applied.GetProperty("configError").ValueKind);
            // Health carries exactly the fields the city model defines, each of its type or null.
            var health = applied.GetProperty("health");
            foreach (var field in IotHub.City.DeviceKinds.Health)
            {
                Assert.True(health.TryGetProperty(field.Name, out var value), $"health lacks {field.Name}: {health}");
                var expected = field.Type == IotHub.Telemetry.FieldKind.String ? JsonValueKind.String : JsonValueKind.Number;
                Assert.True(value.ValueKind == expected || value.ValueKind == JsonValueKind.Null, $"{field.Name} is {value.ValueKind}, not {expected}");
            }

            foreach (var member in health.EnumerateObject())
            {
                Assert.Contains(IotHub.City.DeviceKinds.Health, f => f.Name == member.Name);
            }


            // A bad configuration is reported and the applied one stays.
            await PublishConfigAsync(admin, device, """{"version": 8, "normalIntervalSeconds": -1}""");
            await Poll.UntilAsync(
                () => Task.FromResult(states.Any(s => s.GetProperty("configError").ValueKind == JsonValueKind.String)),
                TimeSpan.FromSeconds(30),
                () => string.Join("\n", states));
            var refused = states.Last(s => s.GetProperty("configError").ValueKind == JsonValueKind.String);
            Assert.Contains("normalIntervalSeconds", refused.GetProperty("configError").GetString(), StringComparison.Ordinal);
            Assert.Equal(7, Version(refused));

            // Fast sampling reached the hub: several readings within seconds, not one per 10 minutes.
            await Poll.UntilAsync(async () => (await hub.QueryAsync("river", "level", device)).Count >= 5, TimeSpan.FromSeconds(30), () => hub.Output);
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    private static long Version(JsonElement state) => state.GetProperty("config").GetProperty("version").GetInt64();

    private static async Task PublishConfigAsync(IMqttClient admin, string device, string json)
    {
        var result = await admin.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic($"iothub/v1/{device}/config")
            .WithPayload(json)
            .WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        Assert.True(result.IsSuccess, $"config publish refused: {result.ReasonCode}");
    }
}
