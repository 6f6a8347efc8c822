using Grpc.Net.Client;
using IotHub.Telemetry.Grpc;
using Microsoft.Extensions.Logging;

namespace IotHub.Edge;

/// <summary>
/// An agent process's devices, run together: one sampling loop applies the local rules and
/// commits each round of readings to the disk queue in one transaction; each device's uplink
/// sends its queued batches to the hub over its own MQTT session.
/// </summary>
public sealed partial class EdgeAgent : IAsyncDisposable
{
    private static readonly TimeSpan MaxFirstSampleSpread = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxConnectSpread = TimeSpan.FromSeconds(2);

    private readonly EdgeAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<DeviceRuntime> _devices = [];
    private readonly List<QueuedReading> _round = [];
    private readonly List<KeyValuePair<string, object>> _values = [];
    private readonly TimeSpan _tick;
    private readonly Random _jitter;
    private readonly GrpcChannel? _grpcChannel;

    /// <summary>
    /// Creates an agent for the given devices and opens its disk queue. Bad options, duplicate
    /// devices or an unreadable queue file throw an <see cref="EdgeConfigurationException"/>.
    /// </summary>
    public EdgeAgent(EdgeAgentOptions options, IEnumerable<EdgeDeviceOptions> devices, TimeProvider time, ILogger logger, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _options = options;
        _time = time;
        _logger = logger;
        _jitter = new Random(seed);

        var list = devices.ToList();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in list)
        {
            if (!ids.Add(device.DeviceId))
            {
                throw new EdgeConfigurationException($"device '{device.DeviceId}' is listed twice");
            }
        }

        Queue = DiskQueueFile.Open(options.QueuePath, options.MaxQueueBytes, time);
        TelemetryIngest.TelemetryIngestClient? grpc = null;
        if (options.Uplink == UplinkProtocol.Grpc)
        {
            if (Queue.Format != QueuePayloadFormat.LineProtocol)
            {
                Queue.Dispose();
                throw new EdgeConfigurationException($"queue file '{Queue.Path}' holds JSON readings of an earlier agent, which the gRPC uplink cannot send: drain it over MQTT first (run --drain), or give a new queue file");
            }

            // One channel for every device: their streams share HTTP/2 connections, more than one
            // when the hub's limit of streams per connection is reached.
            var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = options.Timeout };
            if (options.TlsRoots is { } roots && options.GrpcHub!.Scheme == Uri.UriSchemeHttps)
            {
                handler.SslOptions = TlsTrust.ClientOptions(roots);
            }

            _grpcChannel = GrpcChannel.ForAddress(options.GrpcHub!, new GrpcChannelOptions { HttpHandler = handler });
            grpc = new TelemetryIngest.TelemetryIngestClient(_grpcChannel);
        }

        Rules = new LocalRules();
        var pacer = new UplinkPacer(options.MaxUplinkReadingsPerSecond, time);
        var now = time.GetUtcNow();
        var shortest = TimeSpan.FromSeconds(1);
        var index = 0;

        // Gauges first: a pole sampled in the same round sees its gauges' latest readings.
        foreach (var device in list.OrderBy(d => ReferenceEquals(d.Sensor.Kind, City.DeviceKinds.RiverGauge) ? 0 : 1))
        {
            var runtime = new DeviceRuntime(device, options, Queue, pacer, grpc, time, logger, seed + index++);
            runtime.NextSampleAt = now + (Min(runtime.Settings.NormalInterval, MaxFirstSampleSpread) * _jitter.NextDouble());
            shortest = Min(shortest, Min(runtime.Settings.NormalInterval, runtime.Settings.FastInterval));
            _devices.Add(runtime);
        }

        // Half the shortest interval: a reading is at most half an interval late.
        _tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, shortest.Ticks / 2));
    }

    /// <summary>The agent's disk queue.</summary>
    public DiskQueueFile Queue { get; }

    /// <summary>The local rules (flood danger of this agent's gauges).</summary>
    public LocalRules Rules { get; }

    /// <summary>Each device's health, as its state topic reports it.</summary>
    public IReadOnlyList<EdgeDeviceHealth> Health()
    {
        var health = new List<EdgeDeviceHealth>(_devices.Count);
        foreach (var device in _devices)
        {
            health.Add(device.Health());
        }

        return health;
    }

    /// <summary>The state message a device publishes (configuration, configuration error, health), as UTF-8 JSON.</summary>
    public byte[] StateJson(string deviceId)
    {
        foreach (var device in _devices)
        {
            if (string.Equals(device.Options.DeviceId, deviceId, StringComparison.Ordinal))
            {
                return device.StateJson();
            }
        }

        throw new ArgumentException($"the agent has no device '{deviceId}'", nameof(deviceId));
    }

    /// <summary>Samples, applies the rules, queues and sends until cancelled; then disconnects cleanly.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var spread = ConnectSpread();
        var uplinks = new Task[_devices.Count];
        for (var i = 0; i < _devices.Count; i++)
        {
            uplinks[i] = _devices[i].RunUplinkAsync(spread, untilDrained: false, cancellationToken);
        }

        try
        {
            if (_options.Sample)
            {
                using var timer = new PeriodicTimer(_tick, _time);
                do
                {
                    SampleDue();
                }
                while (await timer.WaitForNextTickAsync(cancellationToken));
            }
            else
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal way out.
        }

        await StopAsync(uplinks);
    }

    /// <summary>Sends every queued reading without sampling; returns when the queue is empty (or when cancelled).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var spread = ConnectSpread();
        var uplinks = new Task[_devices.Count];
        for (var i = 0; i < _devices.Count; i++)
        {
            uplinks[i] = _devices[i].RunUplinkAsync(spread, untilDrained: true, cancellationToken);
        }

        await StopAsync(uplinks);
    }

    private async Task StopAsync(Task[] uplinks)
    {
        try
        {
            await Task.WhenAll(uplinks);
        }
        catch (Exception) when (Array.TrueForAll(uplinks, u => u.IsCompleted))
        {
            // Cancelled uplinks: the queue keeps what they had not sent. Failed ones (a publish that
            // timed out while the agent was stopping, say) are logged below; their batches stay
            // queued too, and the agent still closes every connection and exits cleanly.
        }

        foreach (var uplink in uplinks)
        {
            if (uplink.IsFaulted)
            {
                LogUplinkFailed(_logger, uplink.Exception!.GetBaseException());
            }
        }

        foreach (var device in _devices)
        {
            await device.DisconnectAsync();
        }
    }

    /// <summary>
    /// Samples every device that is due, applies the local rules and commits the readings to the
    /// disk queue in one transaction; returns how many readings were taken. The sampling loop calls
    /// it every tick; tests call it with a fake clock.
    /// </summary>
    public int SampleDue()
    {
        var now = _time.GetUtcNow();
        var ms = now.ToUnixTimeMilliseconds();
        _round.Clear();
        foreach (var device in _devices)
        {
            if (device.TakeReschedule())
            {
                var soonest = device.LastSampleMs == 0 ? now : DateTimeOffset.FromUnixTimeMilliseconds(device.LastSampleMs) + CurrentInterval(device);
                if (soonest < device.NextSampleAt)
                {
                    device.NextSampleAt = soonest;
                }
            }

            // One reading per millisecond at most: the store keys points by time.
            if (now < device.NextSampleAt || ms <= device.LastSampleMs)
            {
                continue;
            }

            _values.Clear();
            try
            {
                _values.AddRange(device.Options.Sensor.Read(now));
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or ArgumentException or TimeoutException)
            {
                LogSensorFailed(_logger, device.Options.DeviceId, ex);
                device.NextSampleAt = now + CurrentInterval(device);
                continue;
            }

            var (alarm, fast) = Rules.Apply(device, _values, now);
            if (fast != device.FastSampling)
            {
                LogSamplingChanged(_logger, device.Options.DeviceId, fast ? "fast" : "normal");
            }

            device.FastSampling = fast;
            device.LastSampleMs = ms;
            device.NextSampleAt = now + CurrentInterval(device);
            var payload = Queue.Format == QueuePayloadFormat.LineProtocol
                ? ReadingLineProtocol.SerializeOne(device.Options.Sensor.Kind.Measurement, ms, _values)
                : ReadingJson.SerializeOne(ms, _values);
            _round.Add(new QueuedReading(device.Key, ms, alarm, payload));
        }

        if (Rules.TakeDangerChanged())
        {
            // Poles switch their signage at the next tick, not at their next (possibly 10-minute) sample.
            foreach (var device in _devices)
            {
                if (device.IsPole && device.Options.NearbyGauges.Count > 0)
                {
                    device.NextSampleAt = now;
                }
            }
        }

        if (_round.Count == 0)
        {
            return 0;
        }

        Queue.Enqueue(_round);
        foreach (var device in _devices)
        {
            if (device.LastSampleMs == ms)
            {
                device.Wake();
            }
        }

        return _round.Count;
    }

    // First connections spread over 0.5 ms per device (at most 2 s): 1,000 devices start within half a second.
    private TimeSpan ConnectSpread() => Min(MaxConnectSpread, TimeSpan.FromMilliseconds(0.5 * _devices.Count));

    private static TimeSpan CurrentInterval(DeviceRuntime device) =>
        device.FastSampling ? device.Settings.FastInterval : device.Settings.NormalInterval;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        foreach (var device in _devices)
        {
            device.Dispose();
        }

        Queue.Dispose();
        _grpcChannel?.Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Device {Device}: sensors could not be read")]
    private static partial void LogSensorFailed(ILogger logger, string device, Exception exception);

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Device {Device}: sampling {Mode}")]
    private static partial void LogSamplingChanged(ILogger logger, string device, string mode);

    [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "An uplink stopped on an unexpected error")]
    private static partial void LogUplinkFailed(ILogger logger, Exception exception);
}
