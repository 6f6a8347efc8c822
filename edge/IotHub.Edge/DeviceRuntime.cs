using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace IotHub.Edge;

/// <summary>
/// One device of an agent: its sampling state (written by the agent's sampling loop) and its
/// uplink (its own session, MQTT or gRPC, run by <see cref="RunUplinkAsync"/>): batches from the
/// disk queue sent in order, one in flight at a time, each with its sequence; a batch leaves the
/// queue only on the hub's acknowledgement. Reconnects with exponential backoff and jitter; over
/// MQTT it follows its retained config topic and reports on its state topic.
/// </summary>
internal sealed partial class DeviceRuntime : IDisposable
{
    private const int MaxRiseHistory = 32;

    private readonly EdgeAgentOptions _options;
    private readonly DiskQueueFile _queue;
    private readonly UplinkPacer _pacer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _jitter;
    private readonly IUplinkSession _uplink;

    // Bounded to one pending wake-up: more would say nothing new.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    // Recent (time, level) readings for the rise rate; bounded by MaxRiseHistory and the rise window.
    private readonly List<(DateTimeOffset Time, double Level)> _levels = new(MaxRiseHistory);
    private volatile DeviceSettings _settings;
    private volatile string? _configError;
    private volatile bool _stateDue = true;
    private volatile bool _reschedule;
    private int _failedConnects;

    public DeviceRuntime(EdgeDeviceOptions device, EdgeAgentOptions options, DiskQueueFile queue, UplinkPacer pacer, Telemetry.Grpc.TelemetryIngest.TelemetryIngestClient? grpc, TimeProvider time, ILogger logger, int seed)
    {
        Options = device;
        _options = options;
        _queue = queue;
        _pacer = pacer;
        _time = time;
        _logger = logger;
        _jitter = new Random(seed);
        Key = queue.RegisterDevice(device.DeviceId);
        _settings = device.Settings;
        if (queue.LoadConfig(Key) is { } saved)
        {
            // The last remote configuration applies from the start, even while the hub is unreachable.
            TryApplyConfig(saved, persist: false);
        }

        _uplink = grpc is not null ? new GrpcUplinkSession(device, grpc, options) : new MqttUplinkSession(device, options, OnConfig);
    }

    public EdgeDeviceOptions Options { get; }

    public int Key { get; }

    public DeviceSettings Settings => _settings;

    public string? ConfigError => _configError;

    public bool Connected => _uplink.Connected;

    // Sampling state: read and written by the agent's sampling loop only.
    public DateTimeOffset NextSampleAt { get; set; }

    public long LastSampleMs { get; set; }

    public bool FastSampling { get; set; }

    public double? LastBattery { get; set; }

    public string? Signage { get; private set; }

    /// <summary>True once after the settings changed, so the sampling loop can apply a shorter interval now.</summary>
    public bool TakeReschedule()
    {
        if (!_reschedule)
        {
            return false;
        }

        _reschedule = false;
        return true;
    }

    public bool IsPole => ReferenceEquals(Options.Sensor.Kind, IotHub.City.DeviceKinds.SmartPole);

    public bool IsGauge => ReferenceEquals(Options.Sensor.Kind, IotHub.City.DeviceKinds.RiverGauge);

    /// <summary>
    /// Metres per hour risen since the newest earlier reading that is at least <paramref name="minSpan"/>
    /// old (readings older than <paramref name="window"/> are forgotten once a newer one is that old);
    /// 0 until such a reading exists.
    /// </summary>
    public double RiseRate(double level, DateTimeOffset now, TimeSpan window, TimeSpan minSpan)
    {
        while (_levels.Count > 1 && ((now - _levels[0].Time > window && now - _levels[1].Time >= minSpan) || _levels.Count >= MaxRiseHistory))
        {
            _levels.RemoveAt(0);
        }

        var rate = 0.0;
        if (_levels.Count > 0)
        {
            var (then, before) = _levels[0];
            var span = now - then;
            if (span >= minSpan)
            {
                rate = (level - before) / span.TotalHours;
            }
        }

        _levels.Add((now, level));
        return rate;
    }

    public void ShowSignage(string message)
    {
        if (string.Equals(Signage, message, StringComparison.Ordinal))
        {
            return;
        }

        Signage = message;
        if (Options.Sensor is ISignageDisplay display)
        {
            display.Show(message);
        }

        // A disaster message is worth a warning; the return to normal (and the first show) is not.
        if (string.Equals(message, "normal", StringComparison.Ordinal))
        {
            LogSignageNormal(_logger, Options.DeviceId);
        }
        else
        {
            LogSignage(_logger, Options.DeviceId, message);
        }

        _stateDue = true;
    }

    /// <summary>Tells the uplink there is something to send.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    public EdgeDeviceHealth Health()
    {
        var queue = _queue.Stats(Key);
        var sensorHealth = Options.Sensor as ISensorHealth;
        TimeSpan? oldestAge = queue.OldestUnsentMs is { } oldest
            ? _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(oldest)
            : null;
        return new EdgeDeviceHealth(
            Options.DeviceId,
            _uplink.Connected,
            queue,
            oldestAge,
            _queue.Bytes,
            _queue.MaxBytes,
            _queue.DroppedTotal,
            LastBattery,
            sensorHealth?.RssiDbm,
            sensorHealth?.ClockOffset,
            FastSampling,
            IsPole ? Signage ?? LocalRules.NormalSignage : null);
    }

    /// <summary>Sends queued batches and state until cancelled (or, with <paramref name="untilDrained"/>, until the queue is empty).</summary>
    public async Task RunUplinkAsync(TimeSpan initialSpread, bool untilDrained, CancellationToken cancellationToken)
    {
        // Spread the fleet's first connections so a starting agent does not stampede the hub.
        await Task.Delay(initialSpread * _jitter.NextDouble(), _time, cancellationToken);
        var nextHealth = _time.GetUtcNow();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_uplink.Connected && !await TryConnectAsync(cancellationToken))
            {
                await Task.Delay(NextBackoff(), _time, cancellationToken);
                continue;
            }

            if (!await DrainAsync(cancellationToken))
            {
                // Lost, refused or told to come back later: a backoff before the next attempt.
                await Task.Delay(NextBackoff(), _time, cancellationToken);
                continue;
            }

            if (untilDrained && _queue.DepthOf(Key) == 0)
            {
                return;
            }

            var now = _time.GetUtcNow();
            if (_stateDue || now >= nextHealth)
            {
                // A session without state (gRPC) only keeps the rhythm.
                if (_uplink.CarriesState && !await PublishStateAsync(cancellationToken))
                {
                    continue;
                }

                nextHealth = now + _options.HealthInterval;
            }

            await WaitForWorkAsync(nextHealth - now, cancellationToken);
        }
    }

    private async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_wake.Reader.TryRead(out _) || timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, _time, stop.Token);
        var wake = _wake.Reader.WaitToReadAsync(stop.Token).AsTask();
        await Task.WhenAny(delay, wake);
        await stop.CancelAsync();
        _wake.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Sends every queued batch; false when the connection failed (the batch stays queued).</summary>
    private async Task<bool> DrainAsync(CancellationToken cancellationToken)
    {
        while (_queue.NextBatch(Key, _options.MaxBatchReadings, _options.MaxBatchBytes) is { } batch)
        {
            await _pacer.WaitAsync(batch.Count, cancellationToken);
            UplinkResult result;
            try
            {
                result = await _uplink.SendAsync(batch, _queue.Format, cancellationToken);
            }
            catch (UplinkRefusedException ex)
            {
                LogConnectRefused(_logger, Options.DeviceId, ex.Message);
                await _uplink.DisconnectAsync();
                return false;
            }
            catch (Exception ex) when (UplinkFailures.IsConnectionFailure(ex, cancellationToken))
            {
                LogSendFailed(_logger, Options.DeviceId, batch.Sequence, ex.Message);
                await _uplink.DisconnectAsync();
                return false;
            }

            if (result.Outcome == UplinkOutcome.RetryLater)
            {
                LogRetryLater(_logger, Options.DeviceId, batch.Sequence, result.Reason);
                await _uplink.DisconnectAsync();
                return false;
            }

            _queue.Complete(batch, result.RejectedReadings);
            _queue.MarkHubReached();
            _failedConnects = 0;
            if (result.RejectedReadings > 0)
            {
                LogRejected(_logger, Options.DeviceId, batch.Sequence, result.RejectedReadings, batch.Count, result.Reason);
            }
        }

        return true;
    }

    private async Task<bool> PublishStateAsync(CancellationToken cancellationToken)
    {
        _stateDue = false;
        try
        {
            await _uplink.PublishStateAsync(StateJson(), cancellationToken);
            return true;
        }
        catch (Exception ex) when (UplinkFailures.IsConnectionFailure(ex, cancellationToken))
        {
            _stateDue = true;
            await _uplink.DisconnectAsync();
            return false;
        }
    }

    /// <summary>The state message: applied configuration, any configuration error, and health.</summary>
    public byte[] StateJson()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("ts", _time.GetUtcNow().ToUnixTimeMilliseconds());
            writer.WritePropertyName("config");
            _settings.WriteTo(writer);
            if (_configError is { } error)
            {
                writer.WriteString("configError", error);
            }
            else
            {
                writer.WriteNull("configError");
            }

            writer.WritePropertyName("health");
            Health().WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void OnConfig(string json)
    {
        TryApplyConfig(json, persist: true);
        _stateDue = true;
        Wake();
    }

    private void TryApplyConfig(string json, bool persist)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var updated = _settings.With(document.RootElement);
            _settings = updated;
            _configError = null;
            if (persist)
            {
                _queue.SaveConfig(Key, json);
            }

            // A shorter interval applies now, not after the current (longer) one ends.
            _reschedule = true;
            LogConfigApplied(_logger, Options.DeviceId, updated.Version);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            _configError = ex.Message;
            LogConfigRefused(_logger, Options.DeviceId, ex.Message);
        }
    }

    private async Task<bool> TryConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Remote configuration steers sampling; an agent that only drains its queue needs none.
            await _uplink.ConnectAsync(followConfig: _options.Sample, cancellationToken);
            if (_uplink.CarriesState)
            {
                _queue.MarkHubReached();
                _stateDue = true;
            }

            LogConnected(_logger, Options.DeviceId, _failedConnects);
            return true;
        }
        catch (UplinkRefusedException ex)
        {
            // The hub answered and refused (wrong token, unknown device): worth a warning, not a debug line.
            LogConnectRefused(_logger, Options.DeviceId, ex.Message);
        }
        catch (Exception ex) when (UplinkFailures.IsConnectionFailure(ex, cancellationToken))
        {
            if (UplinkFailures.TlsFailure(ex) is { } tls)
            {
                // A certificate the agent does not trust is a setting to fix, not a flaky link: a warning.
                LogTlsFailed(_logger, Options.DeviceId, tls.Message);
            }
            else
            {
                LogConnectFailed(_logger, Options.DeviceId, ex.Message);
            }
        }

        await _uplink.DisconnectAsync();
        return false;
    }

    private TimeSpan NextBackoff()
    {
        // Exponential from 0.5 s, capped, with jitter over its upper half so a fleet spreads out.
        _failedConnects++;
        var seconds = Math.Min(_options.MaxReconnectDelay.TotalSeconds, 0.5 * Math.Pow(2, Math.Min(_failedConnects - 1, 16)));
        return TimeSpan.FromSeconds(seconds * (0.5 + (0.5 * _jitter.NextDouble())));
    }

    public Task DisconnectAsync() => _uplink.DisconnectAsync();

    public void Dispose() => _uplink.Dispose();

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Device {Device}: batch {Sequence} not acknowledged ({Error}); kept for resend")]
    private static partial void LogSendFailed(ILogger logger, string device, ulong sequence, string error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Device {Device}: hub refused {Rejected} of the {Count} readings of batch {Sequence}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string device, ulong sequence, int rejected, int count, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Device {Device}: hub refused the connection: {Reason}")]
    private static partial void LogConnectRefused(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 312, Level = LogLevel.Warning, Message = "Device {Device}: TLS with the hub failed ({Error}); check tlsCaFile and the hub's certificate; retrying with backoff")]
    private static partial void LogTlsFailed(ILogger logger, string device, string error);

    [LoggerMessage(EventId = 304, Level = LogLevel.Debug, Message = "Device {Device}: cannot reach the hub ({Error}); retrying with backoff")]
    private static partial void LogConnectFailed(ILogger logger, string device, string error);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "Device {Device}: hub could not take batch {Sequence} now ({Reason}); retrying")]
    private static partial void LogRetryLater(ILogger logger, string device, ulong sequence, string reason);

    [LoggerMessage(EventId = 306, Level = LogLevel.Debug, Message = "Device {Device}: connected after {Failures} failed attempts")]
    private static partial void LogConnected(ILogger logger, string device, int failures);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "Device {Device}: configuration version {Version} applied")]
    private static partial void LogConfigApplied(ILogger logger, string device, long version);

    [LoggerMessage(EventId = 308, Level = LogLevel.Warning, Message = "Device {Device}: configuration refused: {Error}")]
    private static partial void LogConfigRefused(ILogger logger, string device, string error);

    [LoggerMessage(EventId = 309, Level = LogLevel.Warning, Message = "Device {Device}: signage now shows: {Message}")]
    private static partial void LogSignage(ILogger logger, string device, string message);

    [LoggerMessage(EventId = 313, Level = LogLevel.Information, Message = "Device {Device}: signage shows the normal content")]
    private static partial void LogSignageNormal(ILogger logger, string device);
}
