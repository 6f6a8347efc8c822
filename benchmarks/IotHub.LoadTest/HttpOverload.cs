using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace IotHub.LoadTest;

/// <summary>
/// Open-loop HTTP write load: requests are sent on a fixed schedule (the offered rate), whether or
/// not earlier ones were answered, for a fixed duration. A 503 is retried after its Retry-After
/// (the client slowed, not failed). Reports offered and acknowledged points/s, ack latency from the
/// scheduled send (so queueing counts), 503s and failures; then reads back from the hub how many
/// points each series holds and checks every acknowledged point is there.
/// </summary>
internal static class HttpOverload
{
    // Request n writes detector n % Detectors: more detectors than requests in flight, so two
    // requests of one series are never in flight together (no out-of-order writes).
    private const int Detectors = 1000;

    public static async Task<int> RunAsync(Uri url, string? token, Uri? verifyApi, double rate, int seconds, int lines, int maxInFlight, TextWriter output)
    {
        if (maxInFlight >= Detectors)
        {
            throw new ArgumentException($"--max-in-flight must be below {Detectors}");
        }

        var perSecond = rate / lines;
        var total = (int)Math.Ceiling(perSecond * seconds);
        var perDetector = (total / Detectors) + 1;

        // Every series' points lie in the past, one a second, far enough back for the whole run.
        var startNs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (perDetector * (long)lines * 1000) - 60_000) * 1_000_000;
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        }

        var acked = new long[Detectors];
        var latency = new LatencyRecorder();
        var service = new LatencyRecorder();
        long retries = 0, failures = 0, lagged = 0, ackedPoints = 0;
        using var slots = new SemaphoreSlim(maxInFlight);
        var running = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (var n = 0; n < total; n++)
        {
            var due = TimeSpan.FromSeconds(n / perSecond);
            if (clock.Elapsed < due)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            if (!slots.Wait(0))
            {
                // The in-flight limit: the client falls behind its schedule.
                lagged++;
                await slots.WaitAsync();
            }

            var request = n;
            var scheduled = Stopwatch.GetTimestamp() - (long)((clock.Elapsed - due).TotalSeconds * Stopwatch.Frequency);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    var detector = request % Detectors;
                    var payload = LinePayloads.Build(detector, request / Detectors, lines, startNs);
                    var sent = Stopwatch.GetTimestamp();
                    while (true)
                    {
                        using var content = new ByteArrayContent(payload);
                        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
                        using var response = await http.PostAsync(url, content);
                        if ((int)response.StatusCode is 429 or 503)
                        {
                            Interlocked.Increment(ref retries);
                            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                            continue;
                        }

                        if (response.IsSuccessStatusCode)
                        {
                            latency.Record(scheduled);
                            service.Record(sent);
                            Interlocked.Add(ref acked[detector], lines);
                            Interlocked.Add(ref ackedPoints, lines);
                        }
                        else
                        {
                            Interlocked.Increment(ref failures);
                        }

                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }
                finally
                {
                    slots.Release();
                }
            }));
        }

        var offeredSeconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(running);
        clock.Stop();
        var (p50, p99) = latency.Percentiles();
        var (sentP50, sentP99) = service.Percentiles();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"http-open {url.Host}:{url.Port} rate={rate:0} seconds={seconds} lines={lines} max_in_flight={maxInFlight} requests={total} offered_points_per_s={total * (double)lines / offeredSeconds:0} sending_seconds={offeredSeconds:0.0} total_seconds={clock.Elapsed.TotalSeconds:0.0} acked_points={ackedPoints} acked_points_per_s={ackedPoints / clock.Elapsed.TotalSeconds:0} ack_from_schedule_p50_ms={p50:0.0} ack_from_schedule_p99_ms={p99:0.0} ack_from_send_p50_ms={sentP50:0.0} ack_from_send_p99_ms={sentP99:0.0} retries_503={retries} failed={failures} lagged_sends={lagged}"));
        if (verifyApi is null)
        {
            return failures == 0 ? 0 : 1;
        }

        var stored = await StoredPerDetectorAsync(http, verifyApi, startNs);
        long missing = 0, extra = 0, series = 0, storedPoints = 0;
        for (var d = 0; d < Detectors; d++)
        {
            var have = stored.GetValueOrDefault("d" + d.ToString(CultureInfo.InvariantCulture));
            storedPoints += have;
            missing += Math.Max(0, acked[d] - have);
            extra += Math.Max(0, have - acked[d]);
            series += acked[d] > 0 ? 1 : 0;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"verify series={series} acked_points={ackedPoints} stored_points={storedPoints} missing_acked_points={missing} stored_not_acked={extra}"));
        return failures == 0 && missing == 0 ? 0 : 1;
    }

    /// <summary>Points of field volume per detector, counted by the hub's query API (one bucket per series).</summary>
    private static async Task<Dictionary<string, long>> StoredPerDetectorAsync(HttpClient http, Uri api, long startNs)
    {
        var to = TimeUnits(DateTimeOffset.UtcNow.AddMinutes(1));
        var stepSeconds = ((to - startNs) / 1_000_000_000) + 1;
        var query = string.Create(CultureInfo.InvariantCulture, $"/api/v1/query?measurement=traffic&field=volume&from={startNs}&to={to}&step={stepSeconds}s&agg=count");
        using var response = await http.GetAsync(new Uri(api, query));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{query}: {(int)response.StatusCode} {text}");
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using var body = JsonDocument.Parse(text);
        foreach (var series in body.RootElement.GetProperty("series").EnumerateArray())
        {
            var detector = series.GetProperty("tags").GetProperty("detector").GetString()!;
            long count = 0;
            foreach (var point in series.GetProperty("points").EnumerateArray())
            {
                count += (long)point[1].GetDouble();
            }

            counts[detector] = counts.GetValueOrDefault(detector) + count;
        }

        return counts;
    }

    private static long TimeUnits(DateTimeOffset time) => time.ToUnixTimeMilliseconds() * 1_000_000;
}
