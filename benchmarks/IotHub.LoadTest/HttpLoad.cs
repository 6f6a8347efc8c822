using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace IotHub.LoadTest;

/// <summary>Concurrent InfluxDB /api/v2/write clients: the same loader for the hub and VictoriaMetrics.</summary>
internal static class HttpLoad
{
    public static async Task<int> RunAsync(Uri url, string? token, int clients, int batches, int lines, int firstDetector, TextWriter output)
    {
        var startNs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (batches * (long)lines * 1000)) * 1_000_000;
        var payloads = Enumerable.Range(0, clients).Select(c => Enumerable.Range(0, batches).Select(b => LinePayloads.Build(firstDetector + c, b, lines, startNs)).ToArray()).ToArray();
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        }

        var latency = new LatencyRecorder();
        long retries = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            foreach (var payload in payloads[client])
            {
                while (true)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var content = new ByteArrayContent(payload);
                    content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
                    using var response = await http.PostAsync(url, content);
                    if ((int)response.StatusCode is 429 or 503)
                    {
                        Interlocked.Increment(ref retries);
                        await Task.Delay(TimeSpan.FromMilliseconds(100));
                        continue;
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }

                    latency.Record(started);
                    break;
                }
            }
        }));
        clock.Stop();
        var points = (long)clients * batches * lines;
        var (p50, p99) = latency.Percentiles();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"http {url.Host}:{url.Port} clients={clients} batches={batches} lines={lines} points={points} seconds={clock.Elapsed.TotalSeconds:0.00} points_per_s={points / clock.Elapsed.TotalSeconds:0} ack_p50_ms={p50:0.0} ack_p99_ms={p99:0.0} retries={retries}"));
        return 0;
    }
}
