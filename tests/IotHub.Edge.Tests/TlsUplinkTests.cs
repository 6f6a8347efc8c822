using System.Text.Json;

namespace IotHub.Edge.Tests;

/// <summary>
/// The MQTT uplink over TLS to the real hub's TLS listener, trusting a city's own CA through
/// <c>tlsCaFile</c> (a self-signed certificate made here stands for it); bad TLS settings are
/// clear errors at start.
/// </summary>
public sealed class TlsUplinkTests
{
    [Theory]
    [InlineData("mqtt")]
    [InlineData("grpc")]
    public async Task DrainOverTls_HubCertificateTrustedByCaFile_EveryReadingStored(string uplink)
    {
        using var folder = new TempFolder();
        var (certificate, key) = TestCertificate.WritePem(Path.GetDirectoryName(folder.File("agent.json"))!);
        await using var hub = await HubProcess.StartAsync("--mqtts", "0", "--grpcs", "0", "--tls-cert", certificate, "--tls-key", key);
        Assert.NotEqual(0, hub.MqttsPort);
        Assert.NotNull(hub.Grpcs);
        var token = await hub.RegisterAsync("tls-gauge", "river-gauge");
        var config = folder.File("agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            hub = $"mqtts://127.0.0.1:{hub.MqttsPort}",
            grpcHub = hub.Grpcs!.ToString(),
            tlsCaFile = "hub-cert.pem",
            queue = new { path = "queue.db" },
            uplink = new { timeoutSeconds = 10 },
            devices = new[] { new { id = "tls-gauge", kind = "river-gauge", token } },
        }));
        var (code, output) = await RunAsync("backlog", "--config", config, "--duration", "300", "--interval", "10");
        Assert.True(code == 0, output);

        (code, output) = await RunAsync("run", "--config", config, "--drain", "--uplink", uplink);

        Assert.True(code == 0, output);
        Assert.Contains(uplink == "grpc" ? $"hub {hub.Grpcs!.GetLeftPart(UriPartial.Authority)}" : $"hub mqtts://127.0.0.1:{hub.MqttsPort}", output, StringComparison.Ordinal);
        using var queue = DiskQueueFile.Open(folder.File("queue.db"), 1 << 30);
        var queued = queue.Stats(queue.RegisterDevice("tls-gauge"));
        Assert.Equal(0L, queued.Depth);
        Assert.Equal(queued.Enqueued, (await hub.QueryAsync("river", "level", "tls-gauge")).Count);
        Assert.True((await hub.StatsAsync()).GetProperty("pointsByListener").GetProperty(uplink).GetInt64() > 0);
    }

    [Fact]
    public async Task Run_HubCertificateNotFromTheCaFile_RefusedWithAWarning_NothingSent()
    {
        using var folder = new TempFolder();
        var directory = Path.GetDirectoryName(folder.File("agent.json"))!;
        var (certificate, key) = TestCertificate.WritePem(directory);
        var other = Path.Combine(directory, "other");
        Directory.CreateDirectory(other);
        var (otherCertificate, _) = TestCertificate.WritePem(other);
        await using var hub = await HubProcess.StartAsync("--mqtts", "0", "--tls-cert", certificate, "--tls-key", key);
        var token = await hub.RegisterAsync("tls-other", "river-gauge");
        var config = folder.File("agent.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            hub = $"mqtts://127.0.0.1:{hub.MqttsPort}",
            tlsCaFile = otherCertificate,
            queue = new { path = "queue.db" },
            devices = new[] { new { id = "tls-other", kind = "river-gauge", token } },
        }));

        await using var agent = AgentProcess.Start("run", "--config", config);
        await Poll.UntilAsync(() => Task.FromResult(agent.Output.Contains("TLS with the hub failed", StringComparison.Ordinal) || agent.HasExited), TimeSpan.FromSeconds(30), () => agent.Output);

        Assert.Contains("warn Device tls-other: TLS with the hub failed", agent.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await hub.StatsAsync()).GetProperty("pointsStored").GetInt64());
    }

    [Theory]
    [InlineData("mqtts", "garbage.pem", "tlsCaFile '")]
    [InlineData("mqtts", "missing.pem", "tlsCaFile '")]
    [InlineData("mqtt", "garbage.pem", "tlsCaFile is set but neither is hub an mqtts:// URL nor grpcHub an https:// one")]
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
