using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using IotHub.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Storage.Tests;

/// <summary>
/// The remote engine against Debian's victoria-metrics on loopback (installed by .ci/run):
/// writes through InfluxDB.Client, reads through the Prometheus-compatible API, and keeps every
/// acknowledged point when the server restarts mid-stream.
/// </summary>
public sealed class VictoriaMetricsStoreTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("iothub-vm-").FullName;
    private readonly int _port = FreePort();
    private Process? _server;

    public async Task InitializeAsync() => await StartServerAsync();

    public async Task DisposeAsync()
    {
        await StopServerAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task WriteAsync_ServerRestartsMidStream_EveryAcknowledgedPointReadsBack()
    {
        var url = new Uri($"http://127.0.0.1:{_port}");
        await using var store = new VictoriaMetricsStore(new RemoteStoreOptions { WriteUrl = url, QueryUrl = url, BatchPoints = 100, MaxAttempts = 100, RetryDelay = TimeSpan.FromMilliseconds(50) }, NullLogger.Instance);
        var start = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)) / 1_000_000 * 1_000_000;
        var acknowledged = new List<long>();

        for (var i = 0; i < 60; i++)
        {
            if (i == 20)
            {
                // Graceful restart (SIGINT flushes); writes in between wait in the retry loop.
                await StopServerAsync();
                var during = store.WriteAsync(Batch(start, i), CancellationToken.None);
                await StartServerAsync();
                await during;
                acknowledged.AddRange(Enumerable.Range(i * 10, 10).Select(k => start + (k * 1_000_000_000L)));
                continue;
            }

            await store.WriteAsync(Batch(start, i), CancellationToken.None);
            acknowledged.AddRange(Enumerable.Range(i * 10, 10).Select(k => start + (k * 1_000_000_000L)));
        }

        using var http = new HttpClient { BaseAddress = url };
        (await http.GetAsync(new Uri("/internal/force_flush", UriKind.Relative))).EnsureSuccessStatusCode();
        var query = new SeriesQuery("river", "level", new Dictionary<string, string> { ["device"] = "g1" }, start, start + (3_600L * 1_000_000_000), null, Aggregate.Mean, 100_000);
        var answer = await store.QueryAsync(query, CancellationToken.None);

        var series = Assert.Single(answer);
        Assert.Equal(acknowledged, series.Points.Select(p => p.TimestampNs));
        Assert.Equal(599.0 / 100, series.Points[^1].Value);
        Assert.True(store.Retries > 0, "the restart should have made at least one write retry");
        var buckets = await store.QueryAsync(query with { StepNs = 60_000_000_000L, Aggregate = Aggregate.Count }, CancellationToken.None);
        Assert.Equal(600.0, Assert.Single(buckets).Points.Sum(p => p.Value));
    }

    private static List<Point> Batch(long start, int batch) =>
        [.. Enumerable.Range(batch * 10, 10).Select(k => new Point("river", [new("device", "g1")], [new("level", FieldValue.FromFloat(k / 100.0))], start + (k * 1_000_000_000L)))];

    private async Task StartServerAsync()
    {
        var start = new ProcessStartInfo("victoria-metrics") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-httpListenAddr", $"127.0.0.1:{_port}", "-storageDataPath", _data, "-retentionPeriod", "100y" })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            _server = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail("victoria-metrics is not installed (apt-get install -y victoria-metrics): " + ex.Message);
        }

        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{_port}/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline && !_server.HasExited, "victoria-metrics did not start");
            await Task.Delay(50);
        }
    }

    private async Task StopServerAsync()
    {
        if (_server is null)
        {
            return;
        }

        if (!_server.HasExited)
        {
            using var interrupt = Process.Start("kill", ["-INT", _server.Id.ToString(CultureInfo.InvariantCulture)]);
            await interrupt.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _server.WaitForExitAsync(timeout.Token);
        }

        _server.Dispose();
        _server = null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
