using System.Globalization;
using IotHub.Telemetry;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotHub.Edge;

/// <summary>
/// A device's MQTT 5 session: batches as QoS 1 publishes to its telemetry topic with the
/// <c>batch-seq</c> user property (the hub sends the PUBACK after its durable commit), its
/// retained state message, and its retained configuration topic.
/// </summary>
internal sealed class MqttUplinkSession : IUplinkSession
{
    private const string LineProtocolContentType = "text/plain; charset=utf-8";

    private readonly EdgeDeviceOptions _device;
    private readonly EdgeAgentOptions _options;
    private readonly Action<string> _onConfig;
    private readonly IMqttClient _client;
    private readonly string _telemetryTopic;
    private readonly string _configTopic;
    private readonly string _stateTopic;

    /// <summary>Creates the session; <paramref name="onConfig"/> gets each configuration message's text.</summary>
    public MqttUplinkSession(EdgeDeviceOptions device, EdgeAgentOptions options, Action<string> onConfig)
    {
        _device = device;
        _options = options;
        _onConfig = onConfig;
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _telemetryTopic = DeviceTopic.TelemetryTopic(device.DeviceId);
        _configTopic = DeviceTopic.ConfigTopic(device.DeviceId);
        _stateTopic = DeviceTopic.StateTopic(device.DeviceId);
    }

    public bool Connected => _client.IsConnected;

    public bool CarriesState => true;

    public async Task ConnectAsync(bool followConfig, CancellationToken cancellationToken)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithClientId(_device.DeviceId)
            .WithCredentials(_device.DeviceId, _device.Token)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanSession(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithTimeout(_options.Timeout);
        if (_options.UseTls)
        {
            var trust = _options.TlsRoots;
            builder = builder.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(_options.Host);
                if (trust is not null)
                {
                    // The hub's certificate must chain to this CA (a city's own), not to the system's roots.
                    tls.WithTrustChain(trust);
                }
            });
        }

        MqttClientConnectResult result;
        try
        {
            result = await _client.ConnectAsync(builder.Build(), cancellationToken);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex)
        {
            throw new UplinkRefusedException(ex.Message);
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new UplinkRefusedException($"{result.ResultCode}: {result.ReasonString}");
        }

        if (followConfig)
        {
            await _client.SubscribeAsync(
                new MqttClientSubscribeOptionsBuilder().WithTopicFilter(_configTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cancellationToken);
        }
    }

    public async Task<UplinkResult> SendAsync(OutgoingBatch batch, QueuePayloadFormat format, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_telemetryTopic)
            .WithPayload(batch.Payload)
            .WithContentType(format == QueuePayloadFormat.LineProtocol ? LineProtocolContentType : "application/json")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty(UplinkProperties.BatchSequence, System.Text.Encoding.ASCII.GetBytes(batch.Sequence.ToString(CultureInfo.InvariantCulture)))
            .Build();
        var result = await _client.PublishAsync(message, cancellationToken);

        // MQTT 5 §3.4.2.1: reason codes below 0x80 are success (0x10: no subscribers).
        var reason = $"{result.ReasonCode}: {result.ReasonString}";
        if ((int)result.ReasonCode < 0x80)
        {
            return new UplinkResult(UplinkOutcome.Stored, 0, "");
        }

        // Store failure or overload: the hub could not take it now. Any other code: the hub read
        // the batch and refused it, and sending it again would be refused again.
        return result.ReasonCode is MqttClientPublishReasonCode.ImplementationSpecificError or MqttClientPublishReasonCode.UnspecifiedError or MqttClientPublishReasonCode.QuotaExceeded
            ? new UplinkResult(UplinkOutcome.RetryLater, 0, reason)
            : new UplinkResult(UplinkOutcome.Stored, batch.Count, reason);
    }

    public Task PublishStateAsync(byte[] state, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_stateTopic)
            .WithPayload(state)
            .WithContentType("application/json")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .Build();
        return _client.PublishAsync(message, cancellationToken);
    }

    public async Task DisconnectAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is MqttCommunicationException or InvalidOperationException or OperationCanceledException)
        {
            // Already gone.
        }
    }

    public void Dispose() => _client.Dispose();

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        if (string.Equals(e.ApplicationMessage.Topic, _configTopic, StringComparison.Ordinal) && e.ApplicationMessage.Payload.Length > 0)
        {
            _onConfig(System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, e.ApplicationMessage.Payload));
        }

        return Task.CompletedTask;
    }
}
