using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotHub.LoadTest;

/// <summary>
/// Many devices publishing QoS 1 line protocol over MQTT 5. Against the hub, each device registers
/// with the admin token and publishes to its own topic (ack = committed). Against a plain broker
/// (mosquitto), one subscriber receives everything and the run ends when it has every message:
/// the publish -> subscriber relay the hub is compared with.
/// </summary>
internal static class MqttLoad
{
    public static async Task<int> RunAsync(string host, int port, Uri? hubApi, string? adminToken, int devices, int messages, int pointsPerMessage, string idPrefix, TextWriter output)
    {
        var startNs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (messages * (long)pointsPerMessage * 1000)) * 1_000_000;
        var credentials = new (string Id, string? Token)[devices];
        using (var http = new HttpClient())
        {
            for (var d = 0; d < devices; d++)
            {
                var id = $"{idPrefix}-{d}";
                string? token = null;
                if (hubApi is not null)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(hubApi, "/api/v1/devices"))
                    {
                        Content = JsonContent.Create(new { id, kind = "traffic-detector" }),
                    };
                    request.Headers.Authorization = new("Token", adminToken);
                    using var response = await http.SendAsync(request);
                    response.EnsureSuccessStatusCode();
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    token = body.RootElement.GetProperty("token").GetString();
                }

                credentials[d] = (id, token);
            }
        }

        var factory = new MqttClientFactory();
        var clients = new List<IMqttClient>();
        foreach (var (id, token) in credentials)
        {
            var client = factory.CreateMqttClient();
            var options = new MqttClientOptionsBuilder().WithTcpServer(host, port).WithClientId(id).WithProtocolVersion(MqttProtocolVersion.V500).WithCleanSession(true);
            if (token is not null)
            {
                options.WithCredentials(id, token);
            }

            await client.ConnectAsync(options.Build());
            clients.Add(client);
        }

        IMqttClient? subscriber = null;
        long received = 0;
        var expected = (long)devices * messages;
        var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (hubApi is null)
        {
            subscriber = factory.CreateMqttClient();
            subscriber.ApplicationMessageReceivedAsync += _ =>
            {
                if (Interlocked.Increment(ref received) == expected)
                {
                    allReceived.TrySetResult();
                }

                return Task.CompletedTask;
            };
            await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(host, port).WithClientId("load-subscriber").WithProtocolVersion(MqttProtocolVersion.V500).Build());
            await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("iothub/v1/+/telemetry", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        var payloads = Enumerable.Range(0, devices).Select(d => Enumerable.Range(0, messages).Select(m => LinePayloads.Build(d, m, pointsPerMessage, startNs)).ToArray()).ToArray();
        var latency = new LatencyRecorder();
        long failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(async (client, d) =>
        {
            var topic = $"iothub/v1/{credentials[d].Id}/telemetry";
            foreach (var payload in payloads[d])
            {
                var started = Stopwatch.GetTimestamp();
                var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithContentType("text/plain").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
                if (!result.IsSuccess)
                {
                    Interlocked.Increment(ref failed);
                }

                latency.Record(started);
            }
        }));
        if (subscriber is not null)
        {
            await allReceived.Task.WaitAsync(TimeSpan.FromMinutes(5));
        }

        clock.Stop();
        var points = (long)devices * messages * pointsPerMessage;
        var (p50, p99) = latency.Percentiles();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"mqtt {host}:{port} {(hubApi is null ? "relay" : "hub")} devices={devices} messages={messages} points_per_message={pointsPerMessage} points={points} seconds={clock.Elapsed.TotalSeconds:0.00} msgs_per_s={devices * (double)messages / clock.Elapsed.TotalSeconds:0} points_per_s={points / clock.Elapsed.TotalSeconds:0} puback_p50_ms={p50:0.0} puback_p99_ms={p99:0.0} failed={failed}"));
        foreach (var client in clients)
        {
            await client.DisconnectAsync();
            client.Dispose();
        }

        subscriber?.Dispose();
        return failed == 0 ? 0 : 1;
    }
}
