using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;

namespace IotHub.IntegrationTests;

/// <summary>
/// Acceptance 1 of issue 4: writers post line protocol with acks (HTTP 204 only after the
/// commit) while the hub is killed with SIGKILL at random moments; after every restart each
/// acknowledged point is there and the store opened without repair. The CI run kills 3 times;
/// <c>IOTHUB_CRASH_DRILL_KILLS=20</c> runs the full drill (see benchmarks/RESULTS-store.md).
/// </summary>
public sealed class CrashDrillTests : IDisposable
{
    private const int Writers = 4;
    private const int LinesPerRequest = 200;
    private readonly string _data = Directory.CreateTempSubdirectory("iothub-crash-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Fact]
    public async Task Hub_KilledWhileWriting_EveryAcknowledgedPointSurvives()
    {
        var kills = int.TryParse(Environment.GetEnvironmentVariable("IOTHUB_CRASH_DRILL_KILLS"), NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : 3;
        var random = new Random(Environment.TickCount);
        var acknowledged = new ConcurrentDictionary<long, bool>();

        // Timestamps are unique per point: base + (writer, sequence), so each acked point is one row.
        var baseNs = DateTimeOffset.UtcNow.AddMinutes(-30).ToUnixTimeMilliseconds() * 1_000_000;
        var nextSequence = new long[Writers];
        for (var round = 0; round < kills; round++)
        {
            var hub = await StartAsync();
            using var api = hub.CreateApiClient();
            api.Timeout = TimeSpan.FromSeconds(10);
            await VerifyAsync(api, acknowledged, hub, baseNs, round);

            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => WriteUntilKilledAsync(api, w, baseNs, nextSequence, acknowledged, stop.Token)).ToArray();
            var before = acknowledged.Count;

            // Kill at a random moment once writes are flowing (the first acks wait for JIT and warm-up).
            await Poll.UntilAsync(() => Task.FromResult(acknowledged.Count > before), TimeSpan.FromSeconds(60), () => $"round {round}: no write was acknowledged:\n{hub.Output}");
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 1000)));

            // SIGKILL (HubProcess kills the process tree when it is still running), mid-stream.
            await hub.DisposeAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        var last = await StartAsync();
        await using (last)
        {
            using var api = last.CreateApiClient();
            await VerifyAsync(api, acknowledged, last, baseNs, kills);
        }
    }

    /// <summary>
    /// Starts the hub on the drill's folder. HubProcess can read endpoints.json while the hub is
    /// still writing it (an empty file); then the half-started hub, which holds the store, is
    /// killed by its process id and the start is tried again.
    /// </summary>
    private async Task<HubProcess> StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await HubProcess.StartAsync("serve", _data);
            }
            catch (System.Text.Json.JsonException) when (attempt < 3)
            {
                KillHubOf(_data);
            }
        }
    }

    private static void KillHubOf(string dataDirectory)
    {
        foreach (var process in System.Diagnostics.Process.GetProcessesByName("dotnet"))
        {
            using (process)
            {
                try
                {
                    var commandLine = File.ReadAllText($"/proc/{process.Id}/cmdline");
                    if (commandLine.Contains("IotHub.Hub.dll", StringComparison.Ordinal) && commandLine.Contains(dataDirectory, StringComparison.Ordinal))
                    {
                        process.Kill();
                        process.WaitForExit(10_000);
                    }
                }
                catch (IOException)
                {
                    // The process ended meanwhile.
                }
            }
        }
    }

    private static async Task WriteUntilKilledAsync(HttpClient api, int writer, long baseNs, long[] nextSequence, ConcurrentDictionary<long, bool> acknowledged, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var first = nextSequence[writer];
            var body = new StringBuilder(LinesPerRequest * 64);
            var keys = new long[LinesPerRequest];
            for (var i = 0; i < LinesPerRequest; i++)
            {
                var sequence = first + i;
                keys[i] = (sequence * Writers) + writer;
                body.Append(CultureInfo.InvariantCulture, $"drill,writer=w{writer} seq={sequence}i {baseNs + keys[i]}\n");
            }

            nextSequence[writer] = first + LinesPerRequest;
            try
            {
                using var content = new StringContent(body.ToString(), Encoding.UTF8, "text/plain");
                using var response = await api.PostAsync(new Uri("/api/v2/write?org=city&bucket=drill&precision=ns", UriKind.Relative), content, stop);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    foreach (var key in keys)
                    {
                        acknowledged[key] = true;
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // The hub died mid-request: this request was not acknowledged, so it may or may not be stored.
            }
        }
    }

    private static async Task VerifyAsync(HttpClient api, ConcurrentDictionary<long, bool> acknowledged, HubProcess hub, long baseNs, int round)
    {
        Assert.DoesNotContain("repair", hub.Output, StringComparison.OrdinalIgnoreCase);
        if (acknowledged.IsEmpty)
        {
            return;
        }

        // Read back in windows of 500,000 ns: every nanosecond after the base is one point (key), so at
        // most 500,000 points a query, under the query API's row limit.
        const long Window = 500_000;
        var stored = new HashSet<long>();
        var lastKey = acknowledged.Keys.Max();
        for (long from = 0; from <= lastKey; from += Window)
        {
            var answer = await api.GetJsonAsync(string.Create(CultureInfo.InvariantCulture, $"/api/v1/query?measurement=drill&field=seq&from={baseNs + from}&to={baseNs + from + Window}&limit=1000000"));
            foreach (var series in answer.GetProperty("series").EnumerateArray())
            {
                var writer = int.Parse(series.GetProperty("tags").GetProperty("writer").GetString()![1..], CultureInfo.InvariantCulture);
                foreach (var point in series.GetProperty("points").EnumerateArray())
                {
                    stored.Add((point[1].GetInt64() * Writers) + writer);
                }
            }
        }

        var missing = acknowledged.Keys.Where(key => !stored.Contains(key)).Take(10).ToList();
        Assert.True(missing.Count == 0, $"after kill {round}: {missing.Count}+ acknowledged points missing (e.g. {string.Join(", ", missing)}) of {acknowledged.Count}");
    }
}
