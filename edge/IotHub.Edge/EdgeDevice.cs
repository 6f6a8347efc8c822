using IotHub.Telemetry;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace IotHub.Edge;

/// <summary>
/// One device of an agent: samples its sensors on a fixed interval into a bounded buffer and
/// sends the buffer to the hub over MQTT (QoS 1, MQTT 5). A reading leaves the buffer only when
/// the hub acknowledged it. While the hub is unreachable it keeps sampling and reconnects with
/// exponential backoff and jitter.
/// </summary>
internal sealed partial class EdgeDevice : IDisposable
{
    private const int MaxReadingsPerMessage = 100;

    private readonly EdgeDeviceOptions _device;
    private readonly EdgeAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _jitter;
    private readonly IMqttClient _client;
    private readonly string _topic;

    // Bounded by MaxBufferedReadings: when full the oldest reading is dropped and counted.
    private readonly LinkedList<ReadingJson.Reading> _buffer = new();
    private readonly Lock _statusLock = new();
    private long _sent;
    private long _dropped;
    private long _rejected;
    private int _failedConnects;
    private DateTimeOffset _nextConnectAttempt;

    public EdgeDevice(EdgeDeviceOptions device, EdgeAgentOptions options, TimeProvider time, ILogger logger, int seed)
    {
        _device = device;
        _options = options;
        _time = time;
        _logger = logger;
        _jitter = new Random(seed);
        _client = new MqttClientFactory().CreateMqttClient();
        _topic = DeviceTopic.TelemetryTopic(device.DeviceId);
    }

    public EdgeDeviceStatus Status
    {
        get
        {
            lock (_statusLock)
            {
                return new EdgeDeviceStatus(_device.DeviceId, _client.IsConnected, _sent, _buffer.Count, _dropped, _rejected);
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Spread the fleet's first samples over one interval so devices do not publish in lockstep.
        await Task.Delay(_options.SampleInterval * _jitter.NextDouble(), _time, cancellationToken);
        using var timer = new PeriodicTimer(_options.SampleInterval, _time);
        do
        {
            Sample();
            await SendBufferedAsync(cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private void Sample()
    {
        var now = _time.GetUtcNow();
        IReadOnlyList<KeyValuePair<string, object>> values;
        try
        {
            values = _device.Sensor.Read(now);
        }
        catch (InvalidOperationException ex)
        {
            LogSensorFailed(_logger, _device.DeviceId, ex);
            return;
        }

        lock (_statusLock)
        {
            _buffer.AddLast(new ReadingJson.Reading(now.ToUnixTimeMilliseconds(), values));
            if (_buffer.Count > _options.MaxBufferedReadings)
            {
                _buffer.RemoveFirst();
                _dropped++;
            }
        }
    }

    private async Task SendBufferedAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsConnected && !await TryConnectAsync(cancellationToken))
        {
            return;
        }

        while (true)
        {
            List<ReadingJson.Reading> batch;
            lock (_statusLock)
            {
                if (_buffer.Count == 0)
                {
                    return;
                }

                batch = [.. _buffer.Take(MaxReadingsPerMessage)];
            }

            var message = new MqttApplicationMessageBuilder()
                .WithTopic(_topic)
                .WithPayload(ReadingJson.Serialize(batch))
                .WithContentType("application/json")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            MqttClientPublishResult result;
            try
            {
                result = await _client.PublishAsync(message, cancellationToken);
            }
            catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException or TimeoutException)
            {
                LogSendFailed(_logger, _device.DeviceId, ex.Message);
                return;
            }

            lock (_statusLock)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    _buffer.RemoveFirst();
                }

                if (result.IsSuccess)
                {
                    _sent += batch.Count;
                }
                else
                {
                    // The hub read the message and refused it: sending it again would be refused again.
                    _rejected += batch.Count;
                    LogRejected(_logger, _device.DeviceId, result.ReasonCode, result.ReasonString ?? "");
                }
            }
        }
    }

    private async Task<bool> TryConnectAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (now < _nextConnectAttempt)
        {
            return false;
        }

        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithClientId(_device.DeviceId)
            .WithCredentials(_device.DeviceId, _device.Token)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanSession(true)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        try
        {
            var result = await _client.ConnectAsync(options, cancellationToken);
            if (result.ResultCode == MqttClientConnectResultCode.Success)
            {
                _failedConnects = 0;
                return true;
            }

            LogConnectRefused(_logger, _device.DeviceId, result.ResultCode, result.ReasonString ?? "");
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            LogConnectFailed(_logger, _device.DeviceId, ex.Message);
        }

        // Exponential backoff from 0.5 s, capped, with full jitter over its upper half.
        _failedConnects++;
        var backoff = Math.Min(_options.MaxReconnectDelay.TotalSeconds, 0.5 * Math.Pow(2, Math.Min(_failedConnects, 16)));
        _nextConnectAttempt = now + TimeSpan.FromSeconds(backoff * (0.5 + (0.5 * _jitter.NextDouble())));
        return false;
    }

    public async Task DisconnectAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // Already gone; nothing to tell the hub.
            }
        }
    }

    public void Dispose() => _client.Dispose();

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Device {Device}: sensors could not be read")]
    private static partial void LogSensorFailed(ILogger logger, string device, Exception exception);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Device {Device}: send failed ({Error}); readings kept for retry")]
    private static partial void LogSendFailed(ILogger logger, string device, string error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Device {Device}: hub refused readings ({Code}): {Reason}")]
    private static partial void LogRejected(ILogger logger, string device, MqttClientPublishReasonCode code, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Device {Device}: hub refused the connection ({Code}): {Reason}")]
    private static partial void LogConnectRefused(ILogger logger, string device, MqttClientConnectResultCode code, string reason);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Device {Device}: cannot reach the hub ({Error}); retrying with backoff")]
    private static partial void LogConnectFailed(ILogger logger, string device, string error);
}
