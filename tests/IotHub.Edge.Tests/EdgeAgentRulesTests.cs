using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace IotHub.Edge.Tests;

/// <summary>Sampling, local rules and the full-queue policy, on a fake clock with the hub unreachable (uplinks never run).</summary>
public sealed class EdgeAgentRulesTests
{
    private static readonly DeviceSettings Field = new()
    {
        NormalInterval = TimeSpan.FromMinutes(10),
        FastInterval = TimeSpan.FromMinutes(1),
        Standby = 1.0,
        FloodDanger = 2.0,
    };

    private static EdgeAgentOptions Options(TempFolder folder, long maxQueueBytes = 1 << 20) => new()
    {
        Port = HubProcess.FreePort(),
        QueuePath = folder.File("queue.db"),
        MaxQueueBytes = maxQueueBytes,
    };

    [Fact]
    public async Task SampleDue_GaugeAboveStandby_SamplesEveryMinute()
    {
        using var folder = new TempFolder();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-07-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var gauge = ScriptedSensor.Gauge(0.5);
        await using var agent = new EdgeAgent(Options(folder), [new EdgeDeviceOptions("g-1", "t", gauge) { Settings = Field }], time, NullLogger.Instance);

        var normal = Count(agent, time, TimeSpan.FromMinutes(1), 30);
        gauge.Set("level", 1.2);
        var fast = Count(agent, time, TimeSpan.FromMinutes(1), 30);

        Assert.InRange(normal, 3, 4);
        Assert.InRange(fast, 29, 30);
        Assert.True(agent.Health()[0].FastSampling);
    }

    [Fact]
    public async Task SampleDue_GaugeRisingFast_SamplesEveryMinute()
    {
        using var folder = new TempFolder();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-07-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var gauge = ScriptedSensor.Gauge(0.2);
        await using var agent = new EdgeAgent(Options(folder), [new EdgeDeviceOptions("g-1", "t", gauge) { Settings = Field }], time, NullLogger.Instance);

        // 0.02 m a minute = 1.2 m/h, above the 0.5 m/h default; still below standby after 30 minutes.
        long taken = 0;
        for (var minute = 1; minute <= 30; minute++)
        {
            gauge.Set("level", 0.2 + (0.02 * minute));
            taken += Count(agent, time, TimeSpan.FromMinutes(1), 1);
        }

        Assert.InRange(taken, 20, 21);
        Assert.True(agent.Health()[0].FastSampling);
    }

    [Fact]
    public async Task SampleDue_NearbyGaugeAtFloodDanger_PoleShowsDisasterMessageWithoutHub()
    {
        using var folder = new TempFolder();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-07-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var gauge = ScriptedSensor.Gauge(0.5);
        var pole = ScriptedSensor.Pole();
        var poleSettings = new DeviceSettings { NormalInterval = TimeSpan.FromMinutes(10), FastInterval = TimeSpan.FromMinutes(10) };
        await using var agent = new EdgeAgent(
            Options(folder),
            [
                new EdgeDeviceOptions("pole-1", "t", pole) { Settings = poleSettings, NearbyGauges = ["g-1"] },
                new EdgeDeviceOptions("g-1", "t", gauge) { Settings = Field, Name = "Kanda at Suido" },
            ],
            time,
            NullLogger.Instance);
        Count(agent, time, TimeSpan.FromMinutes(1), 10);
        Assert.Equal("normal", agent.Health().Single(h => h.DeviceId == "pole-1").Signage);

        gauge.Set("level", 2.1);
        Count(agent, time, TimeSpan.FromSeconds(30), 20);
        var shown = agent.Health().Single(h => h.DeviceId == "pole-1").Signage;
        Assert.StartsWith("Flood danger at Kanda at Suido", shown, StringComparison.Ordinal);
        Assert.Equal(shown, pole.Shown[^1]);
        Assert.False(agent.Health()[0].Connected);

        // Within the clearing margin the message stays; below it the screen goes back to normal.
        gauge.Set("level", 1.95);
        Count(agent, time, TimeSpan.FromSeconds(30), 20);
        Assert.StartsWith("Flood danger", agent.Health().Single(h => h.DeviceId == "pole-1").Signage, StringComparison.Ordinal);
        gauge.Set("level", 1.8);
        Count(agent, time, TimeSpan.FromSeconds(30), 20);
        Assert.Equal("normal", agent.Health().Single(h => h.DeviceId == "pole-1").Signage);
    }

    [Fact]
    public async Task SampleDue_QueueFull_RoutineDroppedAndCountedInHealth_AlarmsSurvive()
    {
        using var folder = new TempFolder();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-07-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var every = new DeviceSettings { NormalInterval = TimeSpan.FromSeconds(1), FastInterval = TimeSpan.FromSeconds(1) };
        await using var agent = new EdgeAgent(
            Options(folder, maxQueueBytes: 64 * 1024),
            [
                new EdgeDeviceOptions("detector-1", "t", ScriptedSensor.Detector()) { Settings = every },
                new EdgeDeviceOptions("manhole-1", "t", ScriptedSensor.Manhole(surcharged: true)) { Settings = every },
            ],
            time,
            NullLogger.Instance);

        var taken = Count(agent, time, TimeSpan.FromSeconds(1), 500);

        var detector = agent.Health().Single(h => h.DeviceId == "detector-1");
        var manhole = agent.Health().Single(h => h.DeviceId == "manhole-1");
        Assert.Equal(taken, detector.Queue.Enqueued + manhole.Queue.Enqueued);
        Assert.Equal(0, manhole.Queue.Dropped);
        Assert.Equal(manhole.Queue.Enqueued, manhole.Queue.Depth);
        Assert.True(detector.Queue.Dropped > 0, "routine readings were not dropped");
        Assert.Equal(detector.Queue.Enqueued, detector.Queue.Depth + detector.Queue.Dropped);
        Assert.True(detector.AgentQueueBytes <= 64 * 1024 + manhole.Queue.Depth * 200, $"queue holds {detector.AgentQueueBytes} bytes");

        // The state topic's health carries the drop counters.
        using var state = JsonDocument.Parse(agent.StateJson("detector-1"));
        var health = state.RootElement.GetProperty("health");
        Assert.Equal(detector.Queue.Dropped, health.GetProperty("dropped").GetInt64());
        Assert.Equal(detector.AgentDropped, health.GetProperty("agent_dropped").GetInt64());
        Assert.Equal(detector.Queue.Depth, health.GetProperty("queue_depth").GetInt64());
        Assert.True(health.GetProperty("oldest_unsent_age").GetDouble() > 0);
    }

    [Fact]
    public async Task Constructor_SavedRemoteConfig_AppliesBeforeHubIsReached()
    {
        using var folder = new TempFolder();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-07-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using (var queue = DiskQueueFile.Open(folder.File("queue.db"), 1 << 20))
        {
            queue.SaveConfig(queue.RegisterDevice("g-1"), """{"version": 3, "normalIntervalSeconds": 120}""");
        }

        await using var agent = new EdgeAgent(Options(folder), [new EdgeDeviceOptions("g-1", "t", ScriptedSensor.Gauge(0.1)) { Settings = Field }], time, NullLogger.Instance);
        var taken = Count(agent, time, TimeSpan.FromMinutes(1), 20);

        Assert.InRange(taken, 10, 11);
        using var state = JsonDocument.Parse(agent.StateJson("g-1"));
        Assert.Equal(3, state.RootElement.GetProperty("config").GetProperty("version").GetInt64());
    }

    private static long Count(EdgeAgent agent, FakeTimeProvider time, TimeSpan step, int steps)
    {
        long taken = 0;
        for (var i = 0; i < steps; i++)
        {
            time.Advance(step);
            taken += agent.SampleDue();
        }

        return taken;
    }
}
