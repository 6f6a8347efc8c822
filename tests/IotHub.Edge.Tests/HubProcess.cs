using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace IotHub.Edge.Tests;

/// <summary>
/// The real hub executable (copied next to the tests), started as a child process on loopback with
/// its own data folder; it can be stopped (SIGINT) and started again on the same folder and the
/// same MQTT port, as an outage drill needs.
/// </summary>
internal sealed class HubProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private readonly IReadOnlyList<string> _extraArguments;
    private Process? _process;

    private HubProcess(string dataDirectory, int mqttPort, IReadOnlyList<string> extraArguments)
    {
        DataDirectory = dataDirectory;
        MqttPort = mqttPort;
        _extraArguments = extraArguments;
    }

    public string DataDirectory { get; }

    public int MqttPort { get; }

    public Uri Http { get; private set; } = null!;

    public Uri Grpc { get; private set; } = null!;

    /// <summary>The MQTT-over-TLS port, or 0 when the hub was started without a certificate.</summary>
    public int MqttsPort { get; private set; }

    /// <summary>The gRPC-over-TLS endpoint, or <c>null</c> when it is off.</summary>
    public Uri? Grpcs { get; private set; }

    public string AdminToken { get; private set; } = "";

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

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Starts a hub on a free MQTT port chosen now (kept across restarts) and any HTTP port;
    /// <paramref name="extraArguments"/> are further command-line options (TLS, say).
    /// </summary>
    public static async Task<HubProcess> StartAsync(params string[] extraArguments)
    {
        var hub = new HubProcess(Directory.CreateTempSubdirectory("iothub-edge-test-").FullName, FreePort(), extraArguments);
        await hub.StartAgainAsync();
        return hub;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task StartAgainAsync()
    {
        var endpointsFile = Path.Combine(DataDirectory, "endpoints.json");
        File.Delete(endpointsFile);
        var hubDll = Path.Combine(AppContext.BaseDirectory, "IotHub.Hub.dll");
        Assert.True(File.Exists(hubDll), $"the hub executable was not built next to the tests: {hubDll}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataDirectory,
        };
        foreach (var arg in new[] { hubDll, "serve", "--data", DataDirectory, "--http", "0", "--mqtt", MqttPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tcp", "0", "--grpc", "0" }.Concat(_extraArguments))
        {
            start.ArgumentList.Add(arg);
        }

        _process?.Dispose();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the hub");
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await Poll.UntilAsync(() => Task.FromResult(File.Exists(endpointsFile) || process.HasExited), TimeSpan.FromSeconds(60), () => "hub did not write endpoints.json:\n" + Output);
        Assert.False(process.HasExited, "hub exited at start:\n" + Output);
        await Task.Yield();
        using (var endpoints = JsonDocument.Parse(await ReadSharedAsync(endpointsFile)))
        {
            Http = new Uri(endpoints.RootElement.GetProperty("http").GetString()!);
            Grpc = new Uri(endpoints.RootElement.GetProperty("grpc").GetString()!);
            MqttsPort = endpoints.RootElement.TryGetProperty("mqtts", out var mqtts) && mqtts.GetString() is { } url ? new Uri(url).Port : 0;
            Grpcs = endpoints.RootElement.TryGetProperty("grpcs", out var grpcs) && grpcs.GetString() is { } grpcsUrl ? new Uri(grpcsUrl) : null;
        }

        using var admin = JsonDocument.Parse(await ReadSharedAsync(Path.Combine(DataDirectory, "admin.json")));
        AdminToken = admin.RootElement.GetProperty("adminToken").GetString()!;
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        // The hub may still be writing the file: retry a torn read.
        for (var attempt = 0; ; attempt++)
        {
            var bytes = await File.ReadAllBytesAsync(path);
            if (bytes.Length > 0 && bytes[^1] is (byte)'}' or (byte)'\n' || attempt > 50)
            {
                return bytes;
            }

            await Task.Delay(20);
        }
    }

    public HttpClient CreateApiClient()
    {
        var client = new HttpClient { BaseAddress = Http, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", AdminToken);
        return client;
    }

    /// <summary>Registers a device and returns its token.</summary>
    public async Task<string> RegisterAsync(string id, string kind)
    {
        using var api = CreateApiClient();
        using var response = await api.PostAsJsonAsync("/api/v1/devices", new { id, kind });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"registering {id}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>Raw points (ns, value) of one field of a device, oldest first.</summary>
    public async Task<List<(long TimeNs, JsonElement Value)>> QueryAsync(string measurement, string field, string device)
    {
        using var api = CreateApiClient();
        var url = $"/api/v1/query?measurement={measurement}&field={field}&tag.device={device}&from=now-2h&to=now%2B1m&limit=1000000";
        using var response = await api.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.BadRequest && body.Contains("unknown measurement", StringComparison.Ordinal))
        {
            // Nothing of this measurement stored yet.
            return [];
        }

        Assert.True(response.IsSuccessStatusCode, $"query {url}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var points = new List<(long, JsonElement)>();
        foreach (var series in json.RootElement.GetProperty("series").EnumerateArray())
        {
            foreach (var point in series.GetProperty("points").EnumerateArray())
            {
                points.Add((point[0].GetInt64(), point[1].Clone()));
            }
        }

        return points;
    }

    public async Task<JsonElement> StatsAsync()
    {
        using var api = CreateApiClient();
        var body = await api.GetStringAsync("/api/v1/stats");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    /// <summary>Sends SIGINT (as Ctrl-C does) and waits for the hub to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
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
