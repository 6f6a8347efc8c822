using System.Text.Json;

namespace IotHub.Edge.Tests;

/// <summary>
/// Acceptance 1, short version: two agent processes publish while the hub is stopped; one is
/// killed and restarted during the outage; after the hub is back every reading is stored exactly
/// once and in order.
/// </summary>
public sealed class OutageDrillTests
{
    private static readonly (string Id, string Kind, string Measurement, string Field)[] AgentA =
    [
        ("drill-gauge", "river-gauge", "river", "level"),
        ("drill-manhole", "manhole", "sewer", "h2s"),
    ];

    private static readonly (string Id, string Kind, string Measurement, string Field)[] AgentB =
    [
        ("drill-pole", "smart-pole", "smart_pole", "temperature"),
        ("drill-car", "train-car", "car_load", "load"),
    ];

    [Fact]
    public async Task OutageWithAgentKill_EveryReadingStoredExactlyOnceInOrder()
    {
        using var folder = new TempFolder();
        await using var hub = await HubProcess.StartAsync();
        var configA = await WriteConfigAsync(hub, folder, "a", AgentA);
        var configB = await WriteConfigAsync(hub, folder, "b", AgentB);

        var agentA = AgentProcess.Start("run", "--config", configA);
        var agentB = AgentProcess.Start("run", "--config", configB);
        try
        {
            await WaitForPointsAsync(hub, [.. AgentA, .. AgentB], agentA, agentB);

            // Outage: the hub stops; the agents keep sampling into their disk queues.
            await hub.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(2)); // the outage's length, not a wait for data
            await agentA.KillAsync();
            Assert.Contains("IotHub edge agent", agentA.Output, StringComparison.Ordinal);
            await agentA.DisposeAsync();

            // Restarted during the outage: it starts offline from its queue.
            agentA = AgentProcess.Start("run", "--config", configA);
            await Poll.UntilAsync(() => Task.FromResult(agentA.Output.Contains("queueing readings", StringComparison.Ordinal) || agentA.HasExited), TimeSpan.FromSeconds(30), () => agentA.Output);
            Assert.False(agentA.HasExited, agentA.Output);
            await Task.Delay(TimeSpan.FromSeconds(2)); // more outage
            await hub.StartAgainAsync();

            // Stop sampling, then send whatever is still queued.
            await Poll.UntilAsync(async () => (await hub.StatsAsync()).GetProperty("pointsStored").GetInt64() > 0, TimeSpan.FromSeconds(30), () => hub.Output);
            await agentA.InterruptAsync();
            await agentB.InterruptAsync();
            foreach (var config in new[] { configA, configB })
            {
                await using var drain = AgentProcess.Start("run", "--config", config, "--drain");
                await drain.WaitForExitAsync(TimeSpan.FromSeconds(40));
                Assert.True(drain.ExitCode == 0, drain.Output);
            }
        }
        finally
        {
            await agentA.DisposeAsync();
            await agentB.DisposeAsync();
        }

        await AssertExactlyOnceAsync(hub, folder.File("queue-a.db"), AgentA);
        await AssertExactlyOnceAsync(hub, folder.File("queue-b.db"), AgentB);
    }

    private static async Task AssertExactlyOnceAsync(HubProcess hub, string queuePath, (string Id, string Kind, string Measurement, string Field)[] devices)
    {
        using var queue = DiskQueueFile.Open(queuePath, 1 << 30);
        foreach (var (id, _, measurement, field) in devices)
        {
            var stats = queue.Stats(queue.RegisterDevice(id));
            Assert.Equal(0, stats.Depth);
            Assert.Equal(0, stats.Dropped);
            Assert.Equal(0, stats.Rejected);
            Assert.Equal(stats.Enqueued, stats.Acknowledged);

            var points = await hub.QueryAsync(measurement, field, id);
            Assert.True(stats.Enqueued > 20, $"{id}: only {stats.Enqueued} readings taken");
            Assert.Equal(stats.Enqueued, points.Count);
            for (var i = 1; i < points.Count; i++)
            {
                Assert.True(points[i].TimeNs > points[i - 1].TimeNs, $"{id}: readings {i - 1} and {i} are not in time order");
            }
        }
    }

    private static async Task<string> WriteConfigAsync(HubProcess hub, TempFolder folder, string name, (string Id, string Kind, string Measurement, string Field)[] devices)
    {
        var entries = new List<object>();
        foreach (var (id, kind, _, _) in devices)
        {
            entries.Add(new { id, kind, token = await hub.RegisterAsync(id, kind), normalIntervalSeconds = 0.2, fastIntervalSeconds = 0.2 });
        }

        var path = folder.File($"agent-{name}.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new
        {
            hub = $"mqtt://127.0.0.1:{hub.MqttPort}",
            queue = new { path = $"queue-{name}.db" },
            uplink = new { maxReconnectDelaySeconds = 1, timeoutSeconds = 5 },
            healthIntervalSeconds = 1,
            devices = entries,
        }));
        return path;
    }

    private static async Task WaitForPointsAsync(HubProcess hub, (string Id, string Kind, string Measurement, string Field)[] devices, AgentProcess a, AgentProcess b)
    {
        foreach (var (id, _, measurement, field) in devices)
        {
            await Poll.UntilAsync(
                async () => (await hub.QueryAsync(measurement, field, id)).Count >= 3,
                TimeSpan.FromSeconds(30),
                () => $"no readings of {id}\nagent a:\n{a.Output}\nagent b:\n{b.Output}\nhub:\n{hub.Output}");
        }
    }
}
