using System.Text.Json;

namespace IotHub.Edge.Tests;

/// <summary>Bad configuration: one clear error line, exit code 2, no stack trace.</summary>
public sealed class ConfigErrorTests
{
    [Fact]
    public async Task Run_UnknownKind_ClearError()
    {
        using var folder = new TempFolder();
        var config = Write(folder, hub: "mqtt://127.0.0.1:1", device: new { id = "g-1", kind = "weather-balloon", token = "t" });

        var (code, error) = await RunAsync("run", "--config", config);

        AssertConfigError(code, error, "device 'g-1': kind 'weather-balloon' is not one of smart-pole, river-gauge, manhole, train-car, traffic-detector");
    }

    [Fact]
    public async Task Run_NegativeInterval_ClearError()
    {
        using var folder = new TempFolder();
        var config = Write(folder, hub: "mqtt://127.0.0.1:1", device: new { id = "g-1", kind = "river-gauge", token = "t", normalIntervalSeconds = -5 });

        var (code, error) = await RunAsync("run", "--config", config);

        AssertConfigError(code, error, "device 'g-1': normalIntervalSeconds must be between 0.1 and 86400, was -5");
    }

    [Fact]
    public async Task Run_HubRefusesConnections_ClearError()
    {
        using var folder = new TempFolder();
        var port = HubProcess.FreePort();
        var config = Write(folder, hub: $"mqtt://127.0.0.1:{port}", device: new { id = "g-1", kind = "river-gauge", token = "t" });

        var (code, error) = await RunAsync("run", "--config", config);

        AssertConfigError(code, error, $"cannot reach the hub at mqtt://127.0.0.1:{port}: ConnectionRefused");
    }

    [Fact]
    public async Task Run_HubHostUnresolvable_ClearError()
    {
        using var folder = new TempFolder();
        var config = Write(folder, hub: "mqtt://no-such-hub.invalid:1883", device: new { id = "g-1", kind = "river-gauge", token = "t" });

        var (code, error) = await RunAsync("run", "--config", config);

        AssertConfigError(code, error, "host 'no-such-hub.invalid' cannot be resolved");
    }

    [Fact]
    public async Task Run_QueueFileNotAQueue_ClearError()
    {
        using var folder = new TempFolder();
        var config = Write(folder, hub: "mqtt://127.0.0.1:1", device: new { id = "g-1", kind = "river-gauge", token = "t" });
        await File.WriteAllTextAsync(folder.File("queue.db"), new string('#', 4096));

        var (code, error) = await RunAsync("run", "--config", config);

        AssertConfigError(code, error, $"queue file '{folder.File("queue.db")}' is unreadable: it is not an agent queue");
    }

    [Fact]
    public async Task Run_QueuePathIsADirectory_ClearError()
    {
        using var folder = new TempFolder();
        var config = Write(folder, hub: "mqtt://127.0.0.1:1", device: new { id = "g-1", kind = "river-gauge", token = "t" });
        Directory.CreateDirectory(folder.File("queue.db"));

        var (code, error) = await RunAsync("run", "--config", config);

        AssertConfigError(code, error, "is a directory");
    }

    [Fact]
    public async Task Run_QueueFolderMissing_ClearError()
    {
        using var folder = new TempFolder();
        var config = folder.File("agent.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new { hub = "mqtt://127.0.0.1:1", queue = new { path = "no-such-folder/queue.db" }, devices = new[] { new { id = "g-1", kind = "river-gauge", token = "t" } } }));

        var (code, error) = await RunAsync("run", "--config", config);

        AssertConfigError(code, error, $"queue file '{folder.File("no-such-folder/queue.db")}' is unreadable: it cannot be opened (missing folder or no permission)");
    }

    [Fact]
    public async Task Run_UnknownUplink_ClearError()
    {
        using var folder = new TempFolder();
        var config = Write(folder, hub: "mqtt://127.0.0.1:1", device: new { id = "g-1", kind = "river-gauge", token = "t" });

        var (code, error) = await RunAsync("run", "--config", config, "--uplink", "carrier-pigeon");

        AssertConfigError(code, error, "--uplink 'carrier-pigeon' is not one of mqtt, grpc");
    }

    [Fact]
    public async Task Run_ConfigNotJson_ClearError()
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.File("agent.json"), "{ hub: ");

        var (code, error) = await RunAsync("run", "--config", folder.File("agent.json"));

        AssertConfigError(code, error, "is not valid JSON");
    }

    [Fact]
    public async Task Help_ListsCommandsAndOptions()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EdgeProgram.RunAsync(["run", "--help"], output, error);

        Assert.Equal(0, code);
        Assert.Contains("--config", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--drain", output.ToString(), StringComparison.Ordinal);
    }

    private static string Write(TempFolder folder, string hub, object device)
    {
        var path = folder.File("agent.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { hub, queue = new { path = "queue.db" }, devices = new[] { device } }));
        return path;
    }

    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await EdgeProgram.RunAsync(args, output, error);
        return (code, error.ToString());
    }

    private static void AssertConfigError(int code, string error, string expected)
    {
        Assert.Equal(EdgeProgram.ConfigurationError, code);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }
}
