namespace IotHub.IntegrationTests;

/// <summary>
/// MQTT over TLS: the hub started with a certificate (PEM files made here, self-signed for
/// 127.0.0.1) takes devices on its TLS port; Debian's mosquitto_pub, trusting that certificate,
/// publishes through it. A bad certificate option stops the hub at start with a clear error.
/// </summary>
public sealed class MqttTlsTests : IAsyncLifetime
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("iothub-tls-").FullName;

    private string CertificatePath => Path.Combine(_folder, "hub-cert.pem");

    private string KeyPath => Path.Combine(_folder, "hub-key.pem");

    public Task InitializeAsync()
    {
        TestCertificate.WritePem(_folder);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task MosquittoPub_OverTls_ReadingStored_AndPlainMqttOnTheTlsPortRefused()
    {
        await using var hub = await HubProcess.StartAsync("serve", extraArguments: ["--mqtts", "0", "--tls-cert", CertificatePath, "--tls-key", KeyPath]);
        using var api = hub.CreateApiClient();
        Assert.NotEqual(0, hub.MqttsPort);
        Assert.Contains("MQTT TLS", hub.Output, StringComparison.Ordinal);
        var token = await api.RegisterDeviceAsync("gauge-tls-1", "river-gauge");
        string port = hub.MqttsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var overTls = await ExternalTool.RunAsync("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", port, "--cafile", CertificatePath, "-i", "gauge-tls-1", "-u", "gauge-tls-1", "-P", token,
             "-t", "iothub/v1/gauge-tls-1/telemetry", "-q", "1", "-m", "{\"level\": 2.25}"], ToolTimeout);
        var plain = await ExternalTool.RunAsync("mosquitto_pub",
            ["-h", "127.0.0.1", "-p", port, "-i", "gauge-tls-1", "-u", "gauge-tls-1", "-P", token,
             "-t", "iothub/v1/gauge-tls-1/telemetry", "-q", "1", "-m", "{\"level\": 9.99}"], ToolTimeout);

        Assert.True(overTls.ExitCode == 0, overTls.StandardError);
        Assert.NotEqual(0, plain.ExitCode);
        await Poll.UntilAsync(async () => await api.LatestValueAsync("gauge-tls-1", "level") is { } v && v.GetDouble() == 2.25, TimeSpan.FromSeconds(10));
        Assert.Equal(2.25, (await api.LatestValueAsync("gauge-tls-1", "level"))!.Value.GetDouble());
    }

    [Theory]
    [InlineData("missing-cert", "--tls-cert: ")]
    [InlineData("key-without-cert", "--tls-key needs --tls-cert")]
    [InlineData("not-a-certificate", "not a certificate with its private key")]
    public async Task BadTlsOptions_ClearErrorAtStart_NoStackTrace(string mistake, string expected)
    {
        var garbage = Path.Combine(_folder, "garbage.pem");
        await File.WriteAllTextAsync(garbage, "this is not PEM");
        string[] options = mistake switch
        {
            "missing-cert" => ["--tls-cert", Path.Combine(_folder, "no-such-cert.pem")],
            "key-without-cert" => ["--tls-key", KeyPath],
            _ => ["--tls-cert", garbage, "--tls-key", KeyPath],
        };
        var hubDll = Path.Combine(AppContext.BaseDirectory, "IotHub.Hub.dll");

        var result = await ExternalTool.RunAsync("dotnet",
            [hubDll, "serve", "--data", Path.Combine(_folder, "data-" + mistake), "--http", "0", "--mqtt", "0", "--tcp", "-1", "--grpc", "-1", .. options], TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
    }
}
