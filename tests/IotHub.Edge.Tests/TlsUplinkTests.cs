using System.Text.Json;

namespace IotHub.Edge.Tests;

/// <summary>
/// The MQTT uplink over TLS to the real hub's TLS listener, trusting a city's own CA through
/// <c>tlsCaFile</c> (a self-signed certificate made here stands for it); bad TLS settings are
/// clear errors at start.
/// </summary>
public sealed class TlsUplinkTests
{
    [Fact]
    public async Task DrainOverMqttTls_HubCertificateTrustedByCaFile_EveryReadingStored()
    {
        using var folder = new TempFolder();
        var (certificate, key) = TestCertificate.WritePem(Path.GetDirectoryName(folder.File("agent.json"))!);
        await using var hub = await HubProcess.StartAsync("--mqtts", "0", "--tls-cert", certificate, "--tls-key", key);
        Assert.NotEqual(0, hub.MqttsPort);
        var token = await hub.RegisterAsync("tls-gauge", "river-gauge");
        var config = folder.File("agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            hub = $"mqtts://127.0.0.1:{hub.MqttsPort}",
            tlsCaFile = "hub-cert.pem",
            queue = new { path = "queue.db" },
            uplink = new { timeoutSeconds = 10 },
            devices = new[] { new { id = "tls-gauge", kind = "river-gauge", token } },
        }));
        var (code, output) = await RunAsync("backlog", "--config", config, "--duration", "300", "--interval", "10");
        Assert.True(code == 0, output);

        (code, output) = await RunAsync("run", "--config", config, "--drain");

        Assert.True(code == 0, output);
        Assert.Contains($"hub mqtts://127.0.0.1:{hub.MqttsPort}", output, StringComparison.Ordinal);
        using var queue = DiskQueueFile.Open(folder.File("queue.db"), 1 << 30);
        var queued = queue.Stats(queue.RegisterDevice("tls-gauge"));
        Assert.Equal(0L, queued.Depth);
        Assert.Equal(queued.Enqueued, (await hub.QueryAsync("river", "level", "tls-gauge")).Count);
    }

    [Theory]
    [InlineData("mqtts", "garbage.pem", "tlsCaFile '")]
    [InlineData("mqtts", "missing.pem", "tlsCaFile '")]
    [InlineData("mqtt", "garbage.pem", "tlsCaFile is set but hub 'mqtt://127.0.0.1:1' is not an mqtts:// URL")]
    public async Task Run_BadTlsCaFile_ClearError(string scheme, string caFile, string expected)
    {
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.File("garbage.pem"), "not a certificate");
        var config = folder.File("agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            hub = $"{scheme}://127.0.0.1:1",
            tlsCaFile = caFile,
            queue = new { path = "queue.db" },
            devices = new[] { new { id = "g-1", kind = "river-gauge", token = "t" } },
        }));

        var (code, output) = await RunAsync("run", "--config", config);

        Assert.Equal(EdgeProgram.ConfigurationError, code);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await EdgeProgram.RunAsync(args, output, error);
        return (code, output.ToString() + error);
    }
}
