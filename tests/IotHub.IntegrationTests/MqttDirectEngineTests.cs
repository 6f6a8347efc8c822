using System.Net.Sockets;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotHub.IntegrationTests;

/// <summary>
/// The direct MQTT engine (<c>Mqtt:Engine=direct</c>, the default) on a real hub: raw bytes for bad input (each
/// closes the connection with a logged reason, the hub carries on), and MQTTnet clients for what is
/// handed to MQTTnet mid-session (subscriptions), keep-alive, session takeover, QoS 2 and publishes
/// pipelined ahead of their acks.
/// </summary>
public sealed class MqttDirectEngineTests : ServeHubTest
{
    protected override IReadOnlyDictionary<string, string>? HubEnvironment { get; } = new Dictionary<string, string> { ["IOTHUB_Mqtt__Engine"] = "direct" };

    public static TheoryData<string, byte[], string> BadPackets => new()
    {
        { "reserved packet type 0", [0x00, 0x00], "packet type 0 with flags 0x0 is not valid" },
        { "remaining length of five bytes", [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "not a valid variable byte integer" },
        { "oversized publish", [0x32, 0x80, 0x80, 0x80, 0x40], "exceeds the limit of" },
        { "truncated topic", [0x32, 0x03, 0x00, 0x0A, 0x61], "PUBLISH's topic name is truncated" },
        { "QoS 3", [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], "PUBLISH with QoS 3" },
        { "second CONNECT", [0x10, 0x00], "packet type 1 with flags 0x0 is not valid" },
        { "wildcard in a topic name", [0x32, 0x05, 0x00, 0x01, (byte)'#', 0x00, 0x01], "contains wildcards" },
    };

    [Theory]
    [MemberData(nameof(BadPackets))]
    public async Task BadPacket_ClosesTheConnectionWithALoggedReason_HubCarriesOn(string name, byte[] packet, string logged)
    {
        var token = await Api.RegisterDeviceAsync("det-bad-1", "traffic-detector");
        using var socket = await RawConnectAsync(level: 4, "det-bad-1", token, keepAlive: 60);

        await socket.SendAsync(packet);

        Assert.True(await ClosedAsync(socket), $"{name}: the hub kept the connection open");
        await Poll.UntilAsync(() => Task.FromResult(Hub.Output.Contains(logged, StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
        Assert.Contains("(client 'det-bad-1') closed:", Hub.Output, StringComparison.Ordinal);
        await AssertDeviceCanPublishAsync("det-bad-1", token);
    }

    [Fact]
    public async Task OversizedPacket_Mqtt5_DisconnectWithPacketTooLarge()
    {
        var token = await Api.RegisterDeviceAsync("det-big-1", "traffic-detector");
        using var socket = await RawConnectAsync(level: 5, "det-big-1", token, keepAlive: 60);

        await socket.SendAsync(new byte[] { 0x32, 0x80, 0x80, 0x80, 0x40 });

        var answer = await ReadToCloseAsync(socket);
        Assert.Equal(0xE0, answer[0]);
        Assert.Equal(0x95, answer[2]);
        Assert.Contains("exceeds the limit", Encoding.UTF8.GetString(answer), StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], byte> BadPacketsWithReasonCodes => new()
    {
        { "wildcard in a topic name", [0x32, 0x06, 0x00, 0x01, (byte)'#', 0x00, 0x01, 0x00], 0x90 },
        { "topic alias", [0x32, 0x0A, 0x00, 0x01, (byte)'a', 0x00, 0x01, 0x03, 0x23, 0x00, 0x01, 0x00], 0x94 },
        { "QoS 3", [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], 0x81 },
        { "unknown publish property", [0x32, 0x08, 0x00, 0x01, (byte)'a', 0x00, 0x01, 0x01, 0x7F, 0x00], 0x81 },
        { "second CONNECT", [0x10, 0x00], 0x82 },
        { "PINGREQ claiming 1 MiB", [0xC0, 0x80, 0x80, 0x40], 0x95 },
        { "SUBSCRIBE claiming 2 MiB", [0x82, 0x80, 0x80, 0x80, 0x01], 0x95 },
    };

    [Theory]
    [MemberData(nameof(BadPacketsWithReasonCodes))]
    public async Task BadPacket_Mqtt5_DisconnectNamesTheProblem(string name, byte[] packet, byte code)
    {
        var token = await Api.RegisterDeviceAsync("det-code-1", "traffic-detector");
        using var socket = await RawConnectAsync(level: 5, "det-code-1", token, keepAlive: 60);

        await socket.SendAsync(packet);

        // Refused as soon as the fixed header is read: nothing of a claimed body is sent or buffered.
        var answer = await ReadToCloseAsync(socket);
        Assert.True(answer.Length > 2 && answer[0] == 0xE0, $"{name}: no DISCONNECT");
        Assert.Equal(code, answer[2]);
    }

    [Fact]
    public async Task Mqtt5QoS2PublishRefused_SamePacketIdReused_Stored()
    {
        // A PUBREC with a refusal code ends the QoS 2 exchange (MQTT 5 §4.3.3): the id is free again.
        var token = await Api.RegisterDeviceAsync("det-qos2-1", "traffic-detector");
        using var socket = await RawConnectAsync(level: 5, "det-qos2-1", token, keepAlive: 60);

        await socket.SendAsync(Mqtt5Publish("iothub/v1/det-qos2-1/telemetry", qos: 2, packetId: 7, Encoding.UTF8.GetBytes("not json")));
        var refused = await ReadPacketAsync(socket);
        await socket.SendAsync(Mqtt5Publish("iothub/v1/det-qos2-1/telemetry", qos: 2, packetId: 7, Encoding.UTF8.GetBytes("{\"volume\": 31}")));
        var accepted = await ReadPacketAsync(socket);

        Assert.Equal(0x50, refused[0]);
        var code = refused[(refused[1] & 0x80) == 0 ? 4 : 5];
        Assert.True(code >= 0x80, $"PUBREC code 0x{code:X2}");
        Assert.Equal(new byte[] { 0x50, 0x02, 0x00, 0x07 }, accepted);
        Assert.Equal(31, (await Api.LatestValueAsync("det-qos2-1", "volume"))!.Value.GetInt64());
    }

    [Fact]
    public async Task Mqtt5QoS2PublishesBeyondReceiveMaximum_DisconnectReceiveMaximumExceeded()
    {
        var token = await Api.RegisterDeviceAsync("det-qos2-2", "traffic-detector");
        using var socket = await RawConnectAsync(level: 5, "det-qos2-2", token, keepAlive: 60);
        var packets = new List<byte>();
        for (var id = 1; id <= 65; id++)
        {
            packets.AddRange(Mqtt5Publish("iothub/v1/det-qos2-2/telemetry", qos: 2, packetId: (ushort)id, Encoding.UTF8.GetBytes($"{{\"volume\": {id}}}")));
        }

        await socket.SendAsync(packets.ToArray());

        // 64 PUBRECs (the CONNACK's Receive Maximum), no PUBREL: the 65th publish closes the session.
        var answer = await ReadToCloseAsync(socket);
        Assert.Equal(new byte[] { 0x50, 0x02, 0x00, 0x40 }, answer.AsSpan(63 * 4, 4).ToArray());
        Assert.Equal(0xE0, answer[64 * 4]);
        Assert.Equal(0x93, answer[(64 * 4) + 2]);
    }

    [Fact]
    public async Task StillAbove256KiB_ReadOnTheLargePath_AckedAndServed()
    {
        var token = await Api.RegisterDeviceAsync("gauge-still-1", "river-gauge");
        using var socket = await RawConnectAsync(level: 5, "gauge-still-1", token, keepAlive: 60);
        var png = new byte[300 * 1024];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(png, 0);
        Random.Shared.NextBytes(png.AsSpan(8));

        var publish = Mqtt5Publish("iothub/v1/gauge-still-1/image", qos: 1, packetId: 3, png);

        // In two sends, so the hub sees the packet's header long before its end.
        await socket.SendAsync(publish.AsMemory(0, 64 * 1024));
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await socket.SendAsync(publish.AsMemory(64 * 1024));

        Assert.Equal(new byte[] { 0x40, 0x02, 0x00, 0x03 }, await ReadPacketAsync(socket));
        Assert.Equal(png, await Api.GetByteArrayAsync(new Uri("/api/v1/devices/gauge-still-1/image", UriKind.Relative)));
    }

    [Fact]
    public async Task StillSentSlowerThanTheKeepAlive_ConnectionKeptWhileBytesArrive()
    {
        // Keep-alive 1 s (closed after 1.5 s of silence); the still takes ~3 s to arrive, in 6 parts.
        var token = await Api.RegisterDeviceAsync("gauge-slow-1", "river-gauge");
        using var socket = await RawConnectAsync(level: 5, "gauge-slow-1", token, keepAlive: 1);
        var png = new byte[300 * 1024];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(png, 0);
        var publish = Mqtt5Publish("iothub/v1/gauge-slow-1/image", qos: 1, packetId: 5, png);
        var part = (publish.Length / 6) + 1;

        for (var sent = 0; sent < publish.Length; sent += part)
        {
            await socket.SendAsync(publish.AsMemory(sent, Math.Min(part, publish.Length - sent)));
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        Assert.Equal(new byte[] { 0x40, 0x02, 0x00, 0x05 }, await ReadPacketAsync(socket));
    }

    [Fact]
    public async Task SecondConnectionSubscribesAndLeaves_DeviceStillConnected()
    {
        // A session handed to MQTTnet at its SUBSCRIBE is counted once: it leaving does not count the
        // device's other connection out.
        var token = await Api.RegisterDeviceAsync("pole-count-1", "smart-pole");
        using var direct = await RawConnectAsync(level: 4, "pole-count-1-a", token, keepAlive: 60, userName: "pole-count-1");
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithClientId("pole-count-1-b")
            .WithCredentials("pole-count-1", token).WithProtocolVersion(MqttProtocolVersion.V500).Build());
        await subscriber.SubscribeAsync("iothub/v1/pole-count-1/config", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Contains("iothub_devices_connected 1\n", await Api.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        await subscriber.DisconnectAsync();
        // The subscriber's teardown (MQTTnet's and the engine's) is done within this.
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Contains("iothub_devices_connected 1\n", await Api.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongProtocolLevel_RefusedInConnAckAndClosed()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", Hub.MqttPort);
        var stream = socket.GetStream();

        await stream.WriteAsync(ConnectPacket(level: 9, "x", null, null, keepAlive: 60));

        var answer = await ReadToCloseAsync(stream);
        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x01 }, answer);
        await Poll.UntilAsync(() => Task.FromResult(Hub.Output.Contains("protocol level 9 is not MQTT", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task FirstPacketNotConnect_Closed()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", Hub.MqttPort);

        await socket.GetStream().WriteAsync(new byte[] { 0xC0, 0x00 });

        Assert.True(await ClosedAsync(socket.GetStream()));
        await Poll.UntilAsync(() => Task.FromResult(Hub.Output.Contains("the first packet is of type 12, not CONNECT", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task SilentPastKeepAlive_Closed()
    {
        var token = await Api.RegisterDeviceAsync("det-ka-1", "traffic-detector");
        using var socket = await RawConnectAsync(level: 4, "det-ka-1", token, keepAlive: 1);

        Assert.True(await ClosedAsync(socket));
        await Poll.UntilAsync(() => Task.FromResult(Hub.Output.Contains("no packet within 1.5 x the keep-alive of 1 s", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task PingReq_AnsweredWithPingResp()
    {
        var token = await Api.RegisterDeviceAsync("det-ping-1", "traffic-detector");
        using var socket = await RawConnectAsync(level: 4, "det-ping-1", token, keepAlive: 60);

        await socket.SendAsync(new byte[] { 0xC0, 0x00 });

        var answer = new byte[2];
        await socket.ReceiveAsync(answer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new byte[] { 0xD0, 0x00 }, answer);
    }

    [Fact]
    public async Task DeviceSubscribes_HandedToMqttnet_GetsRetainedConfigAndPublishesOn()
    {
        var token = await Api.RegisterDeviceAsync("pole-sub-1", "smart-pole");
        using var device = await ConnectAsync("pole-sub-1", token, MqttProtocolVersion.V500);
        var before = await device.PublishAsync(Message("iothub/v1/pole-sub-1/telemetry", "{\"people_count\": 3}", MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.Equal(MqttClientPublishReasonCode.Success, before.ReasonCode);

        var config = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.ApplicationMessageReceivedAsync += e =>
        {
            config.TrySetResult(Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
        using var admin = new MqttClientFactory().CreateMqttClient();
        await admin.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithClientId("config-service")
            .WithCredentials("iothub-admin", Hub.AdminToken).WithProtocolVersion(MqttProtocolVersion.V500).Build());
        await admin.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("iothub/v1/pole-sub-1/config").WithPayload("{\"interval\": 30}")
            .WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        var subscribed = await device.SubscribeAsync("iothub/v1/pole-sub-1/config", MqttQualityOfServiceLevel.AtLeastOnce);
        var refused = await device.SubscribeAsync("iothub/v1/#");
        var after = await device.PublishAsync(Message("iothub/v1/pole-sub-1/telemetry", "{\"people_count\": 4}", MqttQualityOfServiceLevel.AtLeastOnce));

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, subscribed.Items.Single().ResultCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, refused.Items.Single().ResultCode);
        Assert.Equal("{\"interval\": 30}", await config.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        // Served by MQTTnet now, which answers NoMatchingSubscribers (a success) when nobody subscribed.
        Assert.True(after.IsSuccess, after.ReasonCode.ToString());
        Assert.Equal(4, (await Api.LatestValueAsync("pole-sub-1", "people_count"))!.Value.GetInt64());
    }

    [Fact]
    public async Task Mqtt311DeviceWithEmptyClientId_SubscribesAfterPublishing()
    {
        var token = await Api.RegisterDeviceAsync("pole-sub-2", "smart-pole");
        using var device = new MqttClientFactory().CreateMqttClient();
        var connect = await device.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort).WithClientId("")
            .WithCredentials(token, (string?)null).WithProtocolVersion(MqttProtocolVersion.V311).WithCleanSession().Build());
        Assert.Equal(MqttClientConnectResultCode.Success, connect.ResultCode);

        await device.PublishAsync(Message("v1/devices/me/telemetry", "{\"people_count\": 5}", MqttQualityOfServiceLevel.AtLeastOnce));
        var subscribed = await device.SubscribeAsync("v1/devices/me/rpc/request/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await device.PublishAsync(Message("v1/devices/me/telemetry", "{\"people_count\": 6}", MqttQualityOfServiceLevel.AtLeastOnce));

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, subscribed.Items.Single().ResultCode);
        Assert.Equal(6, (await Api.LatestValueAsync("pole-sub-2", "people_count"))!.Value.GetInt64());
    }

    [Fact]
    public async Task SameClientIdConnectsAgain_FirstConnectionTakenOver()
    {
        var token = await Api.RegisterDeviceAsync("det-twice-1", "traffic-detector");
        using var first = await ConnectAsync("det-twice-1", token, MqttProtocolVersion.V500);
        var firstGone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.DisconnectedAsync += _ =>
        {
            firstGone.TrySetResult();
            return Task.CompletedTask;
        };

        using var second = await ConnectAsync("det-twice-1", token, MqttProtocolVersion.V500);

        await firstGone.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var result = await second.PublishAsync(Message("iothub/v1/det-twice-1/telemetry", "{\"volume\": 8}", MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        Assert.Contains("took the session over", Hub.Output, StringComparison.Ordinal);
        var metrics = await Api.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("iothub_devices_connected 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QoS2AndQoS0Publishes_Stored()
    {
        var token = await Api.RegisterDeviceAsync("det-qos-1", "traffic-detector");
        using var device = await ConnectAsync("det-qos-1", token, MqttProtocolVersion.V311);

        var exactlyOnce = await device.PublishAsync(Message("iothub/v1/det-qos-1/telemetry", "{\"volume\": 21}", MqttQualityOfServiceLevel.ExactlyOnce));
        await device.PublishAsync(Message("iothub/v1/det-qos-1/telemetry", "{\"speed\": 44.5}", MqttQualityOfServiceLevel.AtMostOnce));

        Assert.True(exactlyOnce.IsSuccess);
        Assert.Equal(21, (await Api.LatestValueAsync("det-qos-1", "volume"))!.Value.GetInt64());
        await Poll.UntilAsync(async () => await Api.LatestValueAsync("det-qos-1", "speed") is { } v && v.GetDouble() == 44.5, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task PipelinedPublishesInOneSend_AckedInOrderAfterStoring()
    {
        // 50 QoS 1 publishes in one TCP send, before any PUBACK: the acks (written by the ingest log's
        // thread after its fdatasync) come back in publish order, and every reading is stored.
        var token = await Api.RegisterDeviceAsync("gauge-pipe-1", "river-gauge");
        using var socket = await RawConnectAsync(level: 4, "gauge-pipe-1", token, keepAlive: 60);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var packets = new List<byte>();
        for (var id = 1; id <= 50; id++)
        {
            packets.AddRange(PublishPacket("iothub/v1/gauge-pipe-1/telemetry", (ushort)id, $"{{\"ts\": {ts + id}, \"values\": {{\"level\": {id}}}}}"));
        }

        await socket.SendAsync(packets.ToArray());

        using var stream = new NetworkStream(socket, ownsSocket: false);
        var acks = new byte[50 * 4];
        await stream.ReadExactlyAsync(acks).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal([0x40, 0x02, 0x00, (byte)(i + 1)], acks.AsSpan(i * 4, 4).ToArray());
        }

        var history = await Api.GetJsonAsync("/api/v1/query?measurement=river&field=level&tag.device=gauge-pipe-1&from=now-1h&to=now%2B1m");
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (double)i), history.GetProperty("series")[0].GetProperty("points").EnumerateArray().Select(p => p[1].GetDouble()));
    }

    private async Task AssertDeviceCanPublishAsync(string deviceId, string token)
    {
        using var client = await ConnectAsync(deviceId, token, MqttProtocolVersion.V500);
        var result = await client.PublishAsync(Message($"iothub/v1/{deviceId}/telemetry", "{\"volume\": 9}", MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
    }

    private async Task<IMqttClient> ConnectAsync(string deviceId, string token, MqttProtocolVersion version)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var connect = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort)
            .WithClientId(deviceId).WithCredentials(deviceId, token).WithProtocolVersion(version).Build());
        Assert.Equal(MqttClientConnectResultCode.Success, connect.ResultCode);
        return client;
    }

    private static MqttApplicationMessage Message(string topic, string payload, MqttQualityOfServiceLevel qos) => new MqttApplicationMessageBuilder()
        .WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(payload)).WithQualityOfServiceLevel(qos).Build();

    /// <summary>A socket past CONNECT / CONNACK (success) with the device's credentials.</summary>
    private async Task<Socket> RawConnectAsync(int level, string clientId, string token, ushort keepAlive, string? userName = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", Hub.MqttPort);
        await socket.SendAsync(ConnectPacket(level, clientId, userName ?? clientId, token, keepAlive));
        var header = new byte[2];
        await socket.ReceiveAsync(header.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0x20, header[0]);
        var rest = new byte[header[1]];
        var read = 0;
        while (read < rest.Length)
        {
            read += await socket.ReceiveAsync(rest.AsMemory(read));
        }

        Assert.Equal(0, rest[1]);
        return socket;
    }

    /// <summary>An MQTT 5 PUBLISH without properties.</summary>
    private static byte[] Mqtt5Publish(string topic, int qos, ushort packetId, byte[] payload)
    {
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var body = new List<byte> { (byte)(topicBytes.Length >> 8), (byte)topicBytes.Length };
        body.AddRange(topicBytes);
        body.Add((byte)(packetId >> 8));
        body.Add((byte)packetId);
        body.Add(0);
        body.AddRange(payload);
        var packet = new List<byte> { (byte)(0x30 | (qos << 1)) };
        var remaining = body.Count;
        do
        {
            var b = (byte)(remaining & 0x7F);
            remaining >>= 7;
            packet.Add(remaining > 0 ? (byte)(b | 0x80) : b);
        }
        while (remaining > 0);

        packet.AddRange(body);
        return packet.ToArray();
    }

    /// <summary>Reads one packet from the hub: its fixed header and body.</summary>
    private static async Task<byte[]> ReadPacketAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        var packet = new List<byte>();
        var one = new byte[1];
        int remaining = 0, shift = 0;
        await stream.ReadExactlyAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        packet.Add(one[0]);
        do
        {
            await stream.ReadExactlyAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            packet.Add(one[0]);
            remaining |= (one[0] & 0x7F) << shift;
            shift += 7;
        }
        while ((one[0] & 0x80) != 0);

        var body = new byte[remaining];
        await stream.ReadExactlyAsync(body).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return [.. packet, .. body];
    }

    /// <summary>An MQTT 3.1.1 PUBLISH, QoS 1.</summary>
    private static byte[] PublishPacket(string topic, ushort packetId, string payload)
    {
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var payloadBytes = Encoding.UTF8.GetBytes(payload);
        var body = new List<byte> { (byte)(topicBytes.Length >> 8), (byte)topicBytes.Length };
        body.AddRange(topicBytes);
        body.Add((byte)(packetId >> 8));
        body.Add((byte)packetId);
        body.AddRange(payloadBytes);
        Assert.True(body.Count < 128);
        return [0x32, (byte)body.Count, .. body];
    }

    private static byte[] ConnectPacket(int level, string clientId, string? user, string? password, ushort keepAlive)
    {
        var body = new List<byte>();
        void String(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            body.Add((byte)(bytes.Length >> 8));
            body.Add((byte)bytes.Length);
            body.AddRange(bytes);
        }

        String("MQTT");
        body.Add((byte)level);
        body.Add((byte)(0x02 | (user is null ? 0 : 0x80) | (password is null ? 0 : 0x40)));
        body.Add((byte)(keepAlive >> 8));
        body.Add((byte)keepAlive);
        if (level == 5)
        {
            body.Add(0);
        }

        String(clientId);
        if (user is not null)
        {
            String(user);
        }

        if (password is not null)
        {
            String(password);
        }

        return [0x10, (byte)body.Count, .. body];
    }

    private static async Task<bool> ClosedAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        return await ClosedAsync(stream);
    }

    // Reads until the hub closes (true), or 10 s pass (false).
    private static async Task<bool> ClosedAsync(Stream stream)
    {
        try
        {
            await ReadToCloseAsync(stream);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReadToCloseAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        return await ReadToCloseAsync(stream);
    }

    private static async Task<byte[]> ReadToCloseAsync(Stream stream)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                all.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("the hub did not close the connection within 10 s");
        }
        catch (IOException)
        {
            // Reset by the hub: closed too.
        }

        return all.ToArray();
    }
}

/// <summary>The direct engine with <c>Mqtt:InlineSockets=false</c> (Kestrel's default scheduling), and that option's check.</summary>
public sealed class MqttDirectEngineSettingsTests : ServeHubTest
{
    protected override IReadOnlyDictionary<string, string>? HubEnvironment { get; } = new Dictionary<string, string> { ["IOTHUB_Mqtt__InlineSockets"] = "false" };

    [Fact]
    public async Task WithoutInlineSockets_PublishAckedOnceStored()
    {
        var token = await Api.RegisterDeviceAsync("det-noinline-1", "traffic-detector");
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Hub.MqttPort)
            .WithClientId("det-noinline-1").WithCredentials("det-noinline-1", token).WithProtocolVersion(MqttProtocolVersion.V500).Build());

        var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("iothub/v1/det-noinline-1/telemetry")
            .WithPayload(Encoding.UTF8.GetBytes("{\"volume\": 17}")).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        Assert.Equal(17, (await Api.LatestValueAsync("det-noinline-1", "volume"))!.Value.GetInt64());
    }

    [Fact]
    public async Task InlineSocketsNotABoolean_HubRefusesToStart()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => HubProcess.StartAsync("serve", environment: new Dictionary<string, string> { ["IOTHUB_Mqtt__InlineSockets"] = "sometimes" }));
        Assert.Contains("error: Mqtt:InlineSockets must be 'true' or 'false', was 'sometimes'", refused.Message, StringComparison.Ordinal);
    }
}
