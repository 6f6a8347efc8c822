using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;
using Microsoft.Extensions.Logging;

namespace IotHub.Storage;

/// <summary>
/// The remote engine: writes through InfluxDB.Client's async write API to VictoriaMetrics (or
/// anything that takes <c>/api/v2/write</c>), reads through VictoriaMetrics' Prometheus-compatible
/// API. One sender loop takes write requests from a bounded queue, sends up to
/// <see cref="RemoteStoreOptions.BatchPoints"/> points per request and retries with backoff;
/// a write completes only after the server accepted its batch.
/// </summary>
/// <remarks>
/// Limits of this engine, compared with <see cref="DuckDbStore"/>: timestamps are kept to the
/// millisecond (VictoriaMetrics' precision); string fields are not stored (VictoriaMetrics keeps
/// numbers only) and booleans become 0/1; latest values, series and uplink batch sequences are
/// those written through this process since it started; VictoriaMetrics acknowledges a write
/// when it is in its memory buffer and flushes to disk about every second, so only a graceful
/// server stop keeps every acknowledged point (a hard kill of the server can lose the last second).
/// Metric names follow VictoriaMetrics' InfluxDB mapping: <c>{measurement}_{field}</c>, tags as labels.
/// </remarks>
public sealed partial class VictoriaMetricsStore : ITimeSeriesStore
{
    private readonly RemoteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly InfluxDBClient _influx;
    private readonly HttpClient _http;

    // Bounded: when full, WriteAsync waits for room (backpressure to the listeners).
    private readonly Channel<Request> _queue;
    private readonly Task _sender;
    private readonly ConcurrentDictionary<string, SeriesInfo> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, LatestValue> _latest = new();
    private readonly ConcurrentDictionary<string, long> _deviceLastSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ulong> _batchSequences = new(StringComparer.Ordinal);
    private int _nextSeriesId;
    private long _pointsWritten;
    private long _commits;
    private long _retries;

    /// <summary>Creates the store; nothing is sent until the first write.</summary>
    public VictoriaMetricsStore(RemoteStoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _options = options;
        _logger = logger;
        _influx = new InfluxDBClient(new InfluxDBClientOptions(options.WriteUrl!.ToString())
        {
            Token = options.Token,
            Org = options.Bucket,
            Bucket = options.Bucket,
            Timeout = options.RequestTimeout,
        });
        _http = new HttpClient { BaseAddress = options.QueryUrl, Timeout = options.RequestTimeout };
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _sender = Task.Run(SendLoopAsync);
    }

    /// <inheritdoc/>
    public long PointsWritten => Interlocked.Read(ref _pointsWritten);

    /// <inheritdoc/>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Remote writes retried since start.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <inheritdoc/>
    public int QueueDepth => _queue.Reader.CanCount ? _queue.Reader.Count : -1;

    /// <inheritdoc/>
    public IReadOnlyCollection<SeriesInfo> Series => (IReadOnlyCollection<SeriesInfo>)_series.Values;

    /// <inheritdoc/>
    public Task WriteAsync(IReadOnlyList<Point> points, CancellationToken cancellationToken) => WriteAsync(points, null, cancellationToken);

    /// <inheritdoc/>
    public async Task<WriteOutcome> WriteAsync(IReadOnlyList<Point> points, UplinkBatch? batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (batch is { } uplink && uplink.Sequence <= LastBatchSequence(uplink.Device))
        {
            return WriteOutcome.Duplicate;
        }

        if (points.Count == 0)
        {
            return WriteOutcome.Committed;
        }

        var request = new Request(points, batch);
        try
        {
            await _queue.Writer.WriteAsync(request, cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new StorageException("The store is closing; the write was not accepted.", ex);
        }

        await request.Completion.Task;
        return WriteOutcome.Committed;
    }

    /// <inheritdoc/>
    public ulong LastBatchSequence(string device) => _batchSequences.TryGetValue(device, out var sequence) ? sequence : 0;

    /// <inheritdoc/>
    public IReadOnlyList<LatestValue> GetLatestForDevice(string deviceId) =>
        [.. _latest.Values.Where(l => string.Equals(l.Series.Device, deviceId, StringComparison.Ordinal)).OrderBy(l => l.Series.Field, StringComparer.Ordinal)];

    /// <inheritdoc/>
    public IReadOnlyCollection<LatestValue> GetLatest() => (IReadOnlyCollection<LatestValue>)_latest.Values;

    /// <inheritdoc/>
    public IReadOnlyList<LatestValue> GetLatest(string measurement, string? field, IReadOnlyDictionary<string, string> tags) =>
        [.. _latest.Values.Where(l => string.Equals(l.Series.Measurement, measurement, StringComparison.Ordinal)
            && (field is null || string.Equals(l.Series.Field, field, StringComparison.Ordinal))
            && tags.All(t => l.Series.Tags.Contains(new KeyValuePair<string, string>(t.Key, t.Value))))];

    /// <inheritdoc/>
    public long? GetDeviceLastSeen(string deviceId) => _deviceLastSeen.TryGetValue(deviceId, out var ns) ? ns : null;

    /// <summary>
    /// Answers a range query from VictoriaMetrics: raw points through <c>/api/v1/export</c>,
    /// aggregates through <c>/api/v1/query_range</c> with <c>*_over_time</c> over the step
    /// (VictoriaMetrics' windows are (t - step, t]; bucket [b, b + step) is the window ending at b + step - 1 ms).
    /// </summary>
    public async Task<IReadOnlyList<SeriesPoints>> QueryAsync(SeriesQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.ToNs <= query.FromNs)
        {
            throw new QueryException($"the range is empty or inverted: from {TimeUnits.ToDateTimeOffset(query.FromNs):O} is not before to {TimeUnits.ToDateTimeOffset(query.ToNs):O}");
        }

        var selector = Selector(query.Measurement + "_" + query.Field, query.Tags);
        var fromMs = query.FromNs / TimeUnits.NanosPerMillisecond;
        var toMs = (query.ToNs / TimeUnits.NanosPerMillisecond) - 1;
        var result = new List<SeriesPoints>();
        var total = 0;
        if (query.StepNs is not { } stepNs)
        {
            var url = $"api/v1/export?match[]={Uri.EscapeDataString(selector)}&start={Seconds(fromMs)}&end={Seconds(toMs)}";
            using var response = await _http.GetAsync(new Uri(url, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await EnsureSuccessAsync(response, cancellationToken);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var timestamps = root.GetProperty("timestamps");
                var values = root.GetProperty("values");
                var points = new List<(long, double)>(timestamps.GetArrayLength());
                for (var i = 0; i < timestamps.GetArrayLength(); i++)
                {
                    if (++total > query.RowLimit)
                    {
                        throw new QueryException($"the answer has more than {query.RowLimit} points; narrow the range, add tag filters, or use a larger step");
                    }

                    points.Add((TimeUnits.FromUnixMilliseconds(timestamps[i].GetInt64()), values[i].GetDouble()));
                }

                points.Sort();
                result.Add(new SeriesPoints(SeriesOf(query, root.GetProperty("metric")), points));
            }
        }
        else
        {
            var stepMs = Math.Max(1, stepNs / TimeUnits.NanosPerMillisecond);
            var function = query.Aggregate switch
            {
                Aggregate.Mean => "avg_over_time",
                Aggregate.Min => "min_over_time",
                Aggregate.Max => "max_over_time",
                Aggregate.Sum => "sum_over_time",
                Aggregate.Count => "count_over_time",
                Aggregate.Last => "last_over_time",
                _ => "quantile_over_time",
            };
            var expression = query.Aggregate == Aggregate.P95
                ? $"{function}(0.95, {selector}[{stepMs}ms])"
                : $"{function}({selector}[{stepMs}ms])";
            var url = $"api/v1/query_range?query={Uri.EscapeDataString(expression)}&start={Seconds(fromMs + stepMs - 1)}&end={Seconds(toMs + stepMs - 1)}&step={stepMs}ms&nocache=1&latency_offset=0";
            using var document = await GetJsonAsync(url, cancellationToken);
            foreach (var item in document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
            {
                var points = new List<(long, double)>();
                foreach (var pair in item.GetProperty("values").EnumerateArray())
                {
                    if (++total > query.RowLimit)
                    {
                        throw new QueryException($"the answer has more than {query.RowLimit} points; narrow the range, add tag filters, or use a larger step");
                    }

                    var endMs = (long)Math.Round(pair[0].GetDouble() * 1000);
                    points.Add((TimeUnits.FromUnixMilliseconds(endMs - stepMs + 1), double.Parse(pair[1].GetString()!, CultureInfo.InvariantCulture)));
                }

                result.Add(new SeriesPoints(SeriesOf(query, item.GetProperty("metric")), points));
            }
        }

        if (result.Count == 0 && !_series.Values.Any(s => string.Equals(s.Measurement, query.Measurement, StringComparison.Ordinal)))
        {
            throw new QueryException($"unknown measurement '{query.Measurement}'");
        }

        return result;
    }

    /// <summary>
    /// The newest value of every series matching a PromQL selector, in one instant query
    /// (<c>last_over_time(selector[lookback])</c>); for comparisons with the embedded store.
    /// </summary>
    public async Task<int> CountLatestAsync(string selector, TimeSpan lookback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var expression = $"last_over_time({selector}[{(long)lookback.TotalSeconds}s])";
        using var document = await GetJsonAsync($"api/v1/query?query={Uri.EscapeDataString(expression)}&nocache=1&latency_offset=0", cancellationToken);
        return document.RootElement.GetProperty("data").GetProperty("result").GetArrayLength();
    }

    /// <summary>A PromQL series selector with exact label matches, values escaped.</summary>
    public static string Selector(string metric, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var text = new StringBuilder();
        text.Append("{__name__=\"").Append(Escape(metric)).Append('"');
        foreach (var (key, value) in labels)
        {
            text.Append(',').Append(key).Append("=\"").Append(Escape(value)).Append('"');
        }

        return text.Append('}').ToString();
    }

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _sender;
        _influx.Dispose();
        _http.Dispose();
    }

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Request>();
        var lines = new List<string>();
        while (await reader.WaitToReadAsync())
        {
            while (lines.Count < _options.BatchPoints && reader.TryRead(out var request))
            {
                batch.Add(request);
                foreach (var point in request.Points)
                {
                    lines.Add(LineProtocolWriter.ToLineProtocol(point, LineProtocolPrecision.Millisecond));
                }
            }

            Exception? failure = null;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await _influx.GetWriteApiAsync().WriteRecordsAsync(lines, WritePrecision.Ms, _options.Bucket, _options.Bucket);
                    break;
                }
                catch (Exception ex) when (ex is HttpRequestException or InfluxDB.Client.Core.Exceptions.InfluxException or TaskCanceledException or IOException)
                {
                    if (attempt >= _options.MaxAttempts)
                    {
                        failure = ex;
                        break;
                    }

                    Interlocked.Increment(ref _retries);
                    var delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, _options.RetryDelay.Ticks << Math.Min(attempt - 1, 16)));
                    LogRetry(_logger, attempt, delay, ex);
                    await Task.Delay(delay);
                }
            }

            foreach (var request in batch)
            {
                if (failure is null)
                {
                    Remember(request);
                    Interlocked.Add(ref _pointsWritten, request.Points.Count);
                }
            }

            if (failure is null)
            {
                Interlocked.Increment(ref _commits);
            }

            foreach (var request in batch)
            {
                if (failure is null)
                {
                    request.Completion.TrySetResult();
                }
                else
                {
                    request.Completion.TrySetException(new StorageException("The remote store did not accept the write: " + failure.Message, failure));
                }
            }

            batch.Clear();
            lines.Clear();
        }
    }

    private void Remember(Request request)
    {
        if (request.Batch is { } uplink)
        {
            _batchSequences.AddOrUpdate(uplink.Device, uplink.Sequence, (_, old) => Math.Max(old, uplink.Sequence));
        }

        foreach (var point in request.Points)
        {
            foreach (var field in point.Fields)
            {
                var key = SeriesKey.Create(point.Measurement, point.Tags, field.Key);
                var series = _series.GetOrAdd(key, _ => new SeriesInfo(Interlocked.Increment(ref _nextSeriesId), point.Measurement, point.Tags, field.Key, field.Value.Kind));
                var update = new LatestValue(series, point.TimestampNs, field.Value);
                _latest.AddOrUpdate(series.Id, update, (_, old) => update.TimestampNs >= old.TimestampNs ? update : old);
                if (series.Device is { } device)
                {
                    _deviceLastSeen.AddOrUpdate(device, point.TimestampNs, (_, old) => Math.Max(old, point.TimestampNs));
                }
            }
        }
    }

    private SeriesInfo SeriesOf(SeriesQuery query, JsonElement metric)
    {
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var label in metric.EnumerateObject())
        {
            if (label.Name is not "__name__" and not "db")
            {
                tags.Add(new(label.Name, label.Value.GetString() ?? ""));
            }
        }

        tags.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var key = SeriesKey.Create(query.Measurement, tags, query.Field);
        return _series.TryGetValue(key, out var known) ? known : new SeriesInfo(-1, query.Measurement, tags, query.Field, FieldKind.Float);
    }

    private async Task<JsonDocument> GetJsonAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(url, UriKind.Relative), cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if ((int)response.StatusCode is >= 400 and < 500)
            {
                throw new QueryException($"the remote store refused the query: {(int)response.StatusCode} {body}");
            }

            throw new StorageException($"the remote store failed the query: {(int)response.StatusCode} {body}");
        }
    }

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    [LoggerMessage(EventId = 119, Level = LogLevel.Warning, Message = "Remote write attempt {Attempt} failed; retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, int attempt, TimeSpan delay, Exception exception);

    private sealed class Request(IReadOnlyList<Point> points, UplinkBatch? batch)
    {
        public IReadOnlyList<Point> Points { get; } = points;

        public UplinkBatch? Batch { get; } = batch;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
