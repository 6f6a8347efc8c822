using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IotHub.City;

namespace IotHub.CitySim;

/// <summary>
/// A load run: N simulated traffic detectors connect to the hub at once, each over its own MQTT
/// connection with its own id and token, and publish a reading every interval at QoS 1. Reports
/// connected devices, acknowledged messages per second and the hub's CPU and RSS.
/// </summary>
internal sealed class LoadRun(LoadOptions options, HubEndpoint hub, TextWriter log)
{
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private long _connected;
    private long _acknowledged;
    private long _late;

    public static IEnumerable<DeviceRegistrar.Registration> Devices(int count, int seed)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { ["road"] = "load-test", ["lane"] = "1" };
        for (int i = 0; i < count; i++)
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"load-{i:D6}");
            yield return new DeviceRegistrar.Registration(id, DeviceKinds.TrafficDetector.Id, id, tags, DeviceRegistrar.TokenFor(seed, id));
        }
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (hub.Mqtt is null)
        {
            throw new ArgumentException("--mqtt: give the hub's MQTT URL, or --hub-data DIR with its endpoints.json.");
        }

        var devices = Devices(options.Devices, options.Seed).ToArray();
        var hubStats = options.HubPid > 0 ? new ProcessStats(options.HubPid) : null;
        var ownStats = new ProcessStats(Environment.ProcessId);
        if (options.Register)
        {
            var registering = Stopwatch.StartNew();
            await DeviceRegistrar.RegisterAsync(hub, devices, null, cancellationToken);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"registered {devices.Length:N0} devices over HTTP in {registering.Elapsed.TotalSeconds:N1} s"));
        }

        var server = new IPEndPoint(IPAddress.Parse(hub.Mqtt.Host), hub.Mqtt.Port);
        var connections = new MqttDeviceConnection?[devices.Length];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reporter = ReportAsync(hubStats, ownStats, stop.Token);

        var connecting = Stopwatch.StartNew();
        hubStats?.CpuPercentSinceLast(DateTimeOffset.UtcNow);
        double hubCpuBefore = hubStats?.CpuSeconds() ?? double.NaN;
        await Parallel.ForAsync(0, devices.Length, new ParallelOptions { MaxDegreeOfParallelism = options.ConnectConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var source = options.DevicesPerSourceAddress > 0 && devices.Length > options.DevicesPerSourceAddress
                ? new IPAddress([127, 0, 0, (byte)(1 + (i / options.DevicesPerSourceAddress))])
                : null;
            // A hub out of file descriptors leaves connections in its listen queue unanswered: give up after 30 s.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                connections[i] = await MqttDeviceConnection.ConnectAsync(server, source, devices[i].Id, devices[i].Token, timeout.Token);
                Interlocked.Increment(ref _connected);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                _failures.AddOrUpdate("connect: " + (ex is OperationCanceledException ? "no CONNACK within 30 s" : ex.Message), 1, (_, n) => n + 1);
            }
        });
        connecting.Stop();
        double hubCpuConnect = (hubStats?.CpuSeconds() ?? double.NaN) - hubCpuBefore;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connected {_connected:N0} of {devices.Length:N0} in {connecting.Elapsed.TotalSeconds:N1} s (hub CPU {hubCpuConnect:N1} s); publishing every {options.Interval.TotalSeconds:N0} s for {options.Duration.TotalSeconds:N0} s"));
        log.WriteLine(await HubDevicesConnectedAsync(cancellationToken));

        var publishing = Stopwatch.StartNew();
        double hubCpuStart = hubStats?.CpuSeconds() ?? double.NaN;
        using var publishStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        publishStop.CancelAfter(options.Duration);
        var loops = new List<Task>(devices.Length);
        for (int i = 0; i < devices.Length; i++)
        {
            if (connections[i] is { } connection)
            {
                loops.Add(PublishLoopAsync(i, connection, devices[i].Id, publishStop.Token));
            }
        }

        await Task.WhenAll(loops);
        publishing.Stop();
        double hubCpu = (hubStats?.CpuSeconds() ?? double.NaN) - hubCpuStart;
        long acknowledged = Interlocked.Read(ref _acknowledged);
        log.WriteLine(await HubDevicesConnectedAsync(cancellationToken));
        await stop.CancelAsync();
        await reporter;

        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"summary: {options.Devices:N0} devices, {_connected:N0} connected in {connecting.Elapsed.TotalSeconds:N1} s; {acknowledged:N0} messages acknowledged in {publishing.Elapsed.TotalSeconds:N1} s = {acknowledged / publishing.Elapsed.TotalSeconds:N0} msgs/s (offered {_connected / options.Interval.TotalSeconds:N0}/s), {_late:N0} late; hub CPU while publishing {hubCpu / publishing.Elapsed.TotalSeconds * 100:N0}% of one core, hub RSS {hubStats?.RssMiB():N0} MiB (peak {hubStats?.PeakRssMiB():N0} MiB), load generator RSS {ownStats.RssMiB():N0} MiB"));
        foreach (var (reason, count) in _failures.OrderByDescending(f => f.Value).Take(10))
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  failures: {count:N0} x {reason}"));
        }

        for (int i = 0; i < connections.Length; i++)
        {
            if (connections[i] is { } connection)
            {
                await connection.DisposeAsync();
            }
        }

        return _connected == devices.Length ? 0 : 1;
    }

    private async Task PublishLoopAsync(int index, MqttDeviceConnection connection, string id, CancellationToken cancellationToken)
    {
        var topic = Encoding.UTF8.GetBytes($"iothub/v1/{id}/telemetry");
        var random = new Random(index);

        // Spread the devices evenly over the interval, as unsynchronised real devices are.
        var next = TimeSpan.FromTicks(options.Interval.Ticks / Math.Max(1, options.Devices) * index);
        var clock = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
                else if (wait < -options.Interval)
                {
                    Interlocked.Increment(ref _late);
                }

                next += options.Interval;
                var payload = Encoding.UTF8.GetBytes(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{{\"ts\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()},\"values\":{{\"volume\":{random.Next(0, 40)},\"occupancy\":{random.NextDouble() * 0.5:F3},\"speed\":{20 + (random.NextDouble() * 40):F1},\"queue_length\":{random.Next(0, 200)}}}}}"));
                await connection.PublishAsync(topic, payload, cancellationToken);
                Interlocked.Increment(ref _acknowledged);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            Interlocked.Decrement(ref _connected);
            _failures.AddOrUpdate("publish: " + ex.Message, 1, (_, n) => n + 1);
        }
    }

    private async Task ReportAsync(ProcessStats? hubStats, ProcessStats ownStats, CancellationToken cancellationToken)
    {
        long lastAcknowledged = 0;
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
                var now = clock.Elapsed;
                long acknowledged = Interlocked.Read(ref _acknowledged);
                double rate = (acknowledged - lastAcknowledged) / (now - last).TotalSeconds;
                lastAcknowledged = acknowledged;
                last = now;
                var at = DateTimeOffset.UtcNow;
                log.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {now.TotalSeconds,6:N0} s  connected {Interlocked.Read(ref _connected),7:N0}  acked {rate,8:N0} msgs/s  hub CPU {hubStats?.CpuPercentSinceLast(at),4:N0}%  hub RSS {hubStats?.RssMiB(),6:N0} MiB  hub threads {hubStats?.Threads(),4:N0}  generator CPU {ownStats.CpuPercentSinceLast(at),4:N0}% RSS {ownStats.RssMiB(),5:N0} MiB"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<string> HubDevicesConnectedAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = hub.Http, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", hub.AdminToken);
            using var document = JsonDocument.Parse(await http.GetStringAsync("api/v1/stats", cancellationToken));
            return "  hub /api/v1/stats: " + document.RootElement.GetRawText();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return "  hub /api/v1/stats: " + ex.Message;
        }
    }
}
