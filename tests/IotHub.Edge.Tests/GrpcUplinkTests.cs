using System.Text.Json;

namespace IotHub.Edge.Tests;

/// <summary>The gRPC uplink against the real hub on loopback: every reading stored once, resends dropped.</summary>
public sealed class GrpcUplinkTests
{
    private static readonly (string Id, string Kind, string Measurement, string Field)[] Devices =
    [
        ("grpc-gauge", "river-gauge", "river", "level"),
        ("grpc-detector", "traffic-detector", "traffic", "volume"),
    ];

    [Fact]
    public async Task DrainOverGrpc_TwiceFromTheSameQueue_EveryReadingStoredOnce()
    {
        using var folder = new TempFolder();
        await using var hub = await HubProcess.StartAsync();
        var entries = new List<object>();
        foreach (var (id, kind, _, _) in Devices)
        {
            entries.Add(new { id, kind, token = await hub.RegisterAsync(id, kind) });
        }

        var config = folder.File("agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            hub = $"mqtt://127.0.0.1:{hub.MqttPort}",
            grpcHub = hub.Grpc.ToString(),
            queue = new { path = "queue.db" },
            uplink = new { maxBatchReadings = 7, timeoutSeconds = 10 },
            devices = entries,
        }));
        var (code, output) = await RunAsync("backlog", "--config", config, "--duration", "600", "--interval", "10");
        Assert.True(code == 0, output);

        // The copy is what the queue held before the drain: sending it again resends every batch.
        File.Copy(folder.File("queue.db"), folder.File("copy.db"));
        (code, output) = await RunAsync("run", "--config", config, "--drain", "--uplink", "grpc");
        Assert.True(code == 0, output);
        Assert.Contains("hub " + hub.Grpc.GetLeftPart(UriPartial.Authority), output, StringComparison.Ordinal);
        var stats = await hub.StatsAsync();
        Assert.Equal(0, stats.GetProperty("duplicateBatches").GetInt64());
        Assert.True(stats.GetProperty("pointsByListener").GetProperty("grpc").GetInt64() > 0, stats.ToString());

        (code, output) = await RunAsync("run", "--config", config, "--queue", folder.File("copy.db"), "--drain", "--uplink", "grpc");
        Assert.True(code == 0, output);
        var batches = 0L;
        using (var queue = DiskQueueFile.Open(folder.File("queue.db"), 1 << 30))
        {
            foreach (var (id, _, measurement, field) in Devices)
            {
                var queued = queue.Stats(queue.RegisterDevice(id));
                Assert.Equal((0L, 0L, 0L), (queued.Depth, queued.Dropped, queued.Rejected));
                Assert.InRange(queued.Enqueued, 55, 61);
                var points = await hub.QueryAsync(measurement, field, id);
                Assert.Equal(queued.Enqueued, points.Count);
                batches += (queued.Enqueued + 6) / 7;
            }
        }

        Assert.Equal(batches, (await hub.StatsAsync()).GetProperty("duplicateBatches").GetInt64());
    }

    [Fact]
    public async Task Run_GrpcUplinkWithoutGrpcHub_ClearError()
    {
        using var folder = new TempFolder();
        var config = folder.File("agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            hub = "mqtt://127.0.0.1:1",
            queue = new { path = "queue.db" },
            devices = new[] { new { id = "g-1", kind = "river-gauge", token = "t" } },
        }));

        var (code, output) = await RunAsync("run", "--config", config, "--uplink", "grpc");

        Assert.Equal(EdgeProgram.ConfigurationError, code);
        Assert.Contains("error: the gRPC uplink needs the hub's gRPC endpoint", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await EdgeProgram.RunAsync(args, output, error);
        return (code, output.ToString() + error);
    }
}
