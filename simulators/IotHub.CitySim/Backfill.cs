using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using IotHub.Simulators;
using IotHub.Telemetry.LineProtocol;
using Spectre.Console;

namespace IotHub.CitySim;

/// <summary>
/// Writes months of a city's history into the hub as fast as it ingests: one thread simulates
/// and formats line protocol into batches, a few senders compress them and POST them to
/// <c>/api/v2/write</c>, retrying when the hub answers 503 (its store is busy) after the
/// Retry-After it gives.
/// </summary>
internal sealed class Backfill(BackfillOptions options, HubEndpoint? hub, TextWriter log)
{
    // Batches waiting for a sender; when full, the generator waits: memory stays at about
    // (capacity + concurrency) x BatchBytes whatever the hub's speed.
    private readonly Channel<Batch> _batches = Channel.CreateBounded<Batch>(new BoundedChannelOptions(Math.Max(2, options.Concurrency))
    {
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private long _pointsGenerated;
    private long _pointsWritten;
    private long _bytesRaw;
    private long _bytesSent;
    private long _requests;
    private long _busyRetries;
    private long _simulatedTicks;
    private double _generatorSeconds;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        long totalTicks = (long)((options.End - options.Start) / CityRecorder.Tick);
        var recorder = new CityRecorder(options.Scenario, options.Seed, options.Start);
        double expectedPoints = recorder.PointsPerDay * (options.End - options.Start).TotalDays;
        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"backfill {options.Scenario.Name} seed {options.Seed}: {options.Start:yyyy-MM-dd HH:mm}Z to {options.End:yyyy-MM-dd HH:mm}Z, {options.Scenario.Devices.Count} devices, about {expectedPoints:N0} points{(options.DryRun ? " (dry run: nothing sent)" : $" into {hub!.Http}")}"));

        using var http = hub is null ? null : CreateClient(hub, options.Concurrency);
        var stopwatch = Stopwatch.StartNew();
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var generator = Task.Factory.StartNew(() => Generate(recorder, totalTicks, failed.Token), failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var senders = new List<Task>();
        for (int i = 0; i < Math.Max(1, options.Concurrency); i++)
        {
            senders.Add(SendAllAsync(http, failed));
        }

        var all = Task.WhenAll(senders.Append(generator));
        if (AnsiConsole.Profile.Capabilities.Interactive && ReferenceEquals(log, Console.Out))
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("backfill", maxValue: expectedPoints);
                    while (!all.IsCompleted)
                    {
                        await Task.WhenAny(all, Task.Delay(500, CancellationToken.None));
                        long written = Interlocked.Read(ref _pointsWritten);
                        task.Value = Math.Min(written, expectedPoints);
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"{written:N0} points, {written / stopwatch.Elapsed.TotalSeconds:N0}/s, {Interlocked.Read(ref _busyRetries)} busy retries");
                    }

                    task.Value = expectedPoints;
                });
        }
        else
        {
            while (!all.IsCompleted)
            {
                await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None));
                long written = Interlocked.Read(ref _pointsWritten);
                double rate = written / stopwatch.Elapsed.TotalSeconds;
                double left = rate > 0 ? (expectedPoints - written) / rate : double.NaN;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {stopwatch.Elapsed:hh\\:mm\\:ss} {written:N0} points ({written / expectedPoints:P1}), {rate:N0} points/s, simulated {Interlocked.Read(ref _simulatedTicks) / 1440.0:N1} days, busy retries {Interlocked.Read(ref _busyRetries)}, ETA {left:N0} s"));
            }
        }

        try
        {
            await all;
        }
        catch (Exception) when (all.Exception is { } aggregate)
        {
            foreach (var inner in aggregate.Flatten().InnerExceptions)
            {
                if (inner is not OperationCanceledException)
                {
                    await Console.Error.WriteLineAsync("error: " + inner.Message);
                }
            }

            return 1;
        }

        stopwatch.Stop();
        double seconds = stopwatch.Elapsed.TotalSeconds;
        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"done: {_pointsWritten:N0} points in {seconds:N1} s = {_pointsWritten / seconds:N0} points/s; {_requests} requests, {_bytesRaw / 1048576.0:N0} MiB line protocol, {_bytesSent / 1048576.0:N0} MiB sent; 503 retries {_busyRetries}; generator busy {_generatorSeconds:N1} s ({_pointsGenerated / Math.Max(_generatorSeconds, 1e-9):N0} points/s alone)"));
        return 0;
    }

    private static HttpClient CreateClient(HubEndpoint hub, int concurrency)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, concurrency),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        };
        var client = new HttpClient(handler) { BaseAddress = hub.Http, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", hub.AdminToken);
        return client;
    }

    private void Generate(CityRecorder recorder, long totalTicks, CancellationToken cancellationToken)
    {
        var busy = Stopwatch.StartNew();
        var buffer = new ArrayBufferWriter<byte>(options.BatchBytes + (1 << 20));
        int points = 0;
        try
        {
            for (long tick = 0; tick < totalTicks; tick++)
            {
                points += recorder.WriteNextTick(buffer, LineProtocolPrecision.Second);
                Interlocked.Increment(ref _simulatedTicks);
                if (buffer.WrittenCount >= options.BatchBytes || tick == totalTicks - 1)
                {
                    var batch = new Batch(buffer.WrittenSpan.ToArray(), points);
                    Interlocked.Add(ref _pointsGenerated, points);
                    buffer.ResetWrittenCount();
                    points = 0;
                    busy.Stop();
                    if (!_batches.Writer.TryWrite(batch))
                    {
                        // Full: wait for a sender (backpressure from the hub reaches the simulation here).
                        _batches.Writer.WriteAsync(batch, cancellationToken).AsTask().GetAwaiter().GetResult();
                    }

                    busy.Start();
                }
            }

            _batches.Writer.Complete();
        }
        catch (Exception ex)
        {
            _batches.Writer.TryComplete(ex);
            throw;
        }
        finally
        {
            _generatorSeconds = busy.Elapsed.TotalSeconds;
        }
    }

    private async Task SendAllAsync(HttpClient? http, CancellationTokenSource failed)
    {
        try
        {
            await foreach (var batch in _batches.Reader.ReadAllAsync(failed.Token))
            {
                byte[] body = batch.LineProtocol;
                int length = body.Length;
                if (options.Gzip)
                {
                    var compressed = new MemoryStream(body.Length / 6);
                    await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
                    {
                        gzip.Write(body);
                    }

                    body = compressed.GetBuffer();
                    length = (int)compressed.Length;
                }

                if (http is not null)
                {
                    await PostAsync(http, body, length, failed.Token);
                }

                Interlocked.Add(ref _bytesRaw, batch.LineProtocol.Length);
                Interlocked.Add(ref _bytesSent, length);
                Interlocked.Add(ref _pointsWritten, batch.Points);
                Interlocked.Increment(ref _requests);
            }
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    private async Task PostAsync(HttpClient http, byte[] body, int length, CancellationToken cancellationToken)
    {
        string uri = $"api/v2/write?bucket={Uri.EscapeDataString(options.Bucket)}&precision=s";
        for (int attempt = 1; ; attempt++)
        {
            using var content = new ByteArrayContent(body, 0, length);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
            if (options.Gzip)
            {
                content.Headers.ContentEncoding.Add("gzip");
            }

            using var response = await http.PostAsync(uri, content, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return;
            }

            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests && attempt < 1000)
            {
                // The store is behind: wait as long as the hub asks (at least 50 ms), then resend the same batch.
                Interlocked.Increment(ref _busyRetries);
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                await Task.Delay(wait < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : wait, cancellationToken);
                continue;
            }

            string detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"the hub answered {(int)response.StatusCode} {response.ReasonPhrase}: {(detail.Length > 500 ? detail[..500] : detail)}");
        }
    }

    private sealed record Batch(byte[] LineProtocol, int Points);
}
