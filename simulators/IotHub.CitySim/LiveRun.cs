using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using IotHub.City;
using IotHub.Simulators;

namespace IotHub.CitySim;

/// <summary>
/// Live and accelerated runs: every device of the city registers, connects over MQTT with its own
/// id and token and publishes its readings at its kind's report interval. Simulated time runs at
/// <c>speed</c> times real time from <c>start</c>; the hub refuses readings from the future, so an
/// accelerated run starts in the past and, once it catches up with the clock, goes on live.
/// </summary>
internal sealed class LiveRun(CityScenario scenario, int seed, double speed, DateTimeOffset start, TimeSpan? duration, HubEndpoint hub, TextWriter log)
{
    private const int PublishConcurrency = 256;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (hub.Mqtt is null)
        {
            throw new ArgumentException("--mqtt: give the hub's MQTT URL (mqtt://127.0.0.1:1883), or --hub-data DIR with its endpoints.json.");
        }

        var registrations = scenario.Devices
            .Select(d => new DeviceRegistrar.Registration(d.Id, d.Kind.Id, d.Name, d.Tags, DeviceRegistrar.TokenFor(seed, d.Id)))
            .ToList();
        log.WriteLine($"registering {registrations.Count} devices of {scenario.Name}");
        await DeviceRegistrar.RegisterAsync(hub, registrations, null, cancellationToken);

        var server = new IPEndPoint(IPAddress.Parse(hub.Mqtt.Host), hub.Mqtt.Port);
        var connections = new Dictionary<string, (MqttDeviceConnection Connection, byte[] Topic)>(StringComparer.Ordinal);
        try
        {
            foreach (var chunk in registrations.Chunk(100))
            {
                var connected = await Task.WhenAll(chunk.Select(async r => (r.Id, Connection: await MqttDeviceConnection.ConnectAsync(server, null, r.Id, r.Token, cancellationToken))));
                foreach (var (id, connection) in connected)
                {
                    connections.Add(id, (connection, Encoding.UTF8.GetBytes($"iothub/v1/{id}/telemetry")));
                }
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{connections.Count} devices connected; simulating from {start:yyyy-MM-dd HH:mm}Z at {speed}x real time"));
            return await PublishAsync(connections, cancellationToken);
        }
        finally
        {
            foreach (var (connection, _) in connections.Values)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private async Task<int> PublishAsync(Dictionary<string, (MqttDeviceConnection Connection, byte[] Topic)> connections, CancellationToken cancellationToken)
    {
        var recorder = new CityRecorder(scenario, seed, start);
        var clock = Stopwatch.StartNew();
        var realStart = DateTimeOffset.UtcNow;
        long published = 0;
        var due = new List<(string Id, byte[] Payload)>();
        var lastReport = DateTimeOffset.UtcNow;
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = recorder.NextTime;
            if (duration is { } limit && next - start >= limit)
            {
                break;
            }

            // Simulated time runs speed x real time, and never ahead of the real clock.
            var simulatedNow = start + (clock.Elapsed * speed);
            var realNow = DateTimeOffset.UtcNow;
            if (simulatedNow > realNow)
            {
                simulatedNow = realNow;
            }

            if (next > simulatedNow)
            {
                var wait = next > realNow ? next - realNow : TimeSpan.FromTicks((long)((next - simulatedNow).Ticks / speed));
                await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, cancellationToken);
                continue;
            }

            due.Clear();
            recorder.ReadNextTick((device, time, readings) => due.Add((device.Id, JsonPayload.Create(time, readings))));
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = PublishConcurrency, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                var (connection, topic) = connections[item.Id];
                await connection.PublishAsync(topic, item.Payload, ct);
            });
            published += due.Count;
            if (DateTimeOffset.UtcNow - lastReport >= TimeSpan.FromSeconds(10))
            {
                lastReport = DateTimeOffset.UtcNow;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  simulated {next:yyyy-MM-dd HH:mm}Z, {published:N0} messages acknowledged, {published / (lastReport - realStart).TotalSeconds:N0}/s"));
            }
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done: {published:N0} messages acknowledged up to simulated {recorder.NextTime:yyyy-MM-dd HH:mm}Z"));
        return 0;
    }
}
