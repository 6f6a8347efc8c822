using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace IotHub.IntegrationTests;

/// <summary>
/// The real hub executable, started as a child process on ephemeral loopback ports with its own
/// data folder, and stopped (SIGINT, as Ctrl-C does) at the end.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsDirectory;

    private HubProcess(Process process, string dataDirectory, bool ownsDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
    }

    public string DataDirectory { get; }

    public Uri Http { get; private set; } = null!;

    public int MqttPort { get; private set; }

    public int TcpPort { get; private set; }

    public Uri Grpc { get; private set; } = null!;

    /// <summary>The MQTT-over-TLS port, or 0 when the hub was started without a certificate.</summary>
    public int MqttsPort { get; private set; }

    public string AdminToken { get; private set; } = "";

    public string DashboardUrl { get; private set; } = "";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the hub; <paramref name="environment"/> adds variables such as <c>IOTHUB_Forecast__City</c> (configuration),
    /// <paramref name="extraArguments"/> command-line options after the ports.
    /// </summary>
    public static async Task<HubProcess> StartAsync(string mode, string? dataDirectory = null, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? extraArguments = null)
    {
        var ownsDirectory = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("iothub-test-").FullName;
        var endpointsFile = Path.Combine(dataDirectory, "endpoints.json");
        File.Delete(endpointsFile);

        var hubDll = Path.Combine(AppContext.BaseDirectory, "IotHub.Hub.dll");
        Assert.True(File.Exists(hubDll), $"the hub executable was not built next to the tests: {hubDll}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        foreach (var arg in new[] { hubDll, mode, "--data", dataDirectory, "--http", "0", "--mqtt", "0", "--tcp", "0", "--grpc", "0" }.Concat(extraArguments ?? []))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the hub");
        var hub = new HubProcess(process, dataDirectory, ownsDirectory);
        process.OutputDataReceived += (_, e) => hub.Append(e.Data);
        process.ErrorDataReceived += (_, e) => hub.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await hub.WaitUntilListeningAsync(endpointsFile, dataDirectory);
        }
        catch
        {
            // A hub that failed to start is not left running (xUnit skips DisposeAsync when InitializeAsync throws).
            await hub.DisposeAsync();
            throw;
        }

        return hub;
    }

    private async Task WaitUntilListeningAsync(string endpointsFile, string dataDirectory)
    {
        var hub = this;
        var process = _process;
        await Poll.UntilAsync(() => Task.FromResult(File.Exists(endpointsFile) || process.HasExited), TimeSpan.FromSeconds(60), () => "hub did not write endpoints.json:\n" + hub.Output);
        if (process.HasExited)
        {
            // The output read asynchronously may still be arriving: wait for the streams' end so the message holds the hub's error.
            using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(drained.Token);
        }

        Assert.False(process.HasExited, "hub exited at start:\n" + hub.Output);
        using (var endpoints = JsonDocument.Parse(await File.ReadAllBytesAsync(endpointsFile)))
        {
            hub.Http = new Uri(endpoints.RootElement.GetProperty("http").GetString()!);
            hub.MqttPort = new Uri(endpoints.RootElement.GetProperty("mqtt").GetString()!).Port;
            hub.TcpPort = new Uri(endpoints.RootElement.GetProperty("lineProtocolTcp").GetString()!).Port;
            hub.Grpc = new Uri(endpoints.RootElement.GetProperty("grpc").GetString()!);
            hub.MqttsPort = endpoints.RootElement.TryGetProperty("mqtts", out var mqtts) && mqtts.GetString() is { } url ? new Uri(url).Port : 0;
        }

        using (var admin = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(dataDirectory, "admin.json"))))
        {
            hub.AdminToken = admin.RootElement.GetProperty("adminToken").GetString()!;
        }

        // The printed dashboard line comes right after endpoints.json is written.
        await Poll.UntilAsync(() => Task.FromResult(hub.Output.Contains("dashboard", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), () => hub.Output);
        hub.DashboardUrl = hub.Output.Split('\n').First(l => l.TrimStart().StartsWith("dashboard", StringComparison.Ordinal)).Trim()["dashboard".Length..].Trim();
    }

    public HttpClient CreateApiClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = Http, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token ?? AdminToken);
        return client;
    }

    /// <summary>Sends SIGINT (what Ctrl-C sends) and waits for the process to exit; returns the exit code.</summary>
    public async Task<int> InterruptAsync(TimeSpan timeout)
    {
        var kill = await ExternalTool.RunAsync("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        Assert.Equal(0, kill.ExitCode);
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
