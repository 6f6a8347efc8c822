using System.Globalization;
using System.Text.Json;
using IotHub.City;
using IotHub.Forecasting;
using IotHub.Storage;

namespace IotHub.Hub.Forecasts;

/// <summary>
/// The hub's forecast service in the background: loads the newest model files at start, trains
/// on a schedule (from the store's history, or from the simulated city while the store has too
/// little and that is allowed) one training at a time with its progress logged and in
/// <see cref="Status"/>, swaps the new models in without a restart (a failed training keeps the
/// old ones), and re-evaluates forecast alerts every <see cref="ForecastOptions.AlertInterval"/>.
/// </summary>
internal sealed partial class ForecastHost : BackgroundService
{
    /// <summary>Rows a forecast reads: 3 hours before the origin and the origin.</summary>
    public const int RecentRows = ServingTraining.RiverHistoryRows;

    private const string VersionPrefix = "v-";
    private const string TrainedFile = "trained.json";
    private static readonly TimeSpan FailedRetry = TimeSpan.FromMinutes(30);

    // Sewer models train on this many manholes per district (the pooled model learns the pipe from its features).
    private const int SewerTrainingManholes = 2;

    // Detector models need two weeks: the same slot last week is a feature.
    private const int MinTrafficDays = 14;

    // Task.Delay takes at most ~49 days; the loop re-checks the schedule at least this often.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    private readonly ForecastOptions _options;
    private readonly ITimeSeriesStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<ForecastHost> _logger;
    private readonly bool _simulate;
    private readonly int _seed;
    private ForecastStatus _status;
    private readonly WarningsInForce _inForce = new();
    private ForecastAlerts _alerts = new(null, []);
    private CancellationTokenSource _wake = new();
    private int _training;

    public ForecastHost(ForecastOptions options, CityScenario city, string modelsDirectory, bool simulate, int seed, DuckDbStore store, TimeProvider time, ILogger<ForecastHost> log)
    {
        _options = options;
        City = city;
        ModelsDirectory = modelsDirectory;
        _simulate = simulate;
        _seed = seed;
        _store = store;
        _time = time;
        _logger = log;
        Service = new ForecastService(city);
        Gauges = [.. city.Rivers.SelectMany(r => r.Gauges)];
        Manholes = [.. city.SewerDistricts.SelectMany(d => d.Manholes)];
        Detectors = [.. city.Intersections.SelectMany(x => Enumerable.Range(1, x.Lanes).Select(x.DetectorDeviceId))];
        _status = options.Enabled
            ? new ForecastStatus("loading", "looking for model files in " + modelsDirectory, 0, 0, null, null, null, null)
            : new ForecastStatus("disabled", "forecasts are off (Forecast:Enabled = false)", 0, 0, null, null, null, null);
    }

    /// <summary>The city whose gauges are forecast.</summary>
    public CityScenario City { get; }

    /// <summary>Every gauge of the city.</summary>
    public IReadOnlyList<RiverGauge> Gauges { get; }

    /// <summary>Every instrumented manhole of the city.</summary>
    public IReadOnlyList<Manhole> Manholes { get; }

    /// <summary>Every traffic detector of the city.</summary>
    public IReadOnlyList<string> Detectors { get; }

    /// <summary>Where the model files are.</summary>
    public string ModelsDirectory { get; }

    /// <summary>The loaded models; swapped whole after each training.</summary>
    public ForecastService Service { get; }

    /// <summary>What the service is doing.</summary>
    public ForecastStatus Status => Volatile.Read(ref _status);

    /// <summary>The alerts of the last evaluation.</summary>
    public ForecastAlerts Alerts => Volatile.Read(ref _alerts);

    /// <summary>True when river level models are loaded.</summary>
    public bool HasRiverModels => Service.Models.Any(m => m.Target == "river.level");

    /// <summary>Why there is no river forecast, for a 503 answer.</summary>
    public string Unavailable
    {
        get
        {
            var status = Status;
            return status.State == "training"
                ? string.Create(CultureInfo.InvariantCulture, $"no river model is loaded yet: training ({status.Percent:F0}%: {status.Detail})")
                : $"no river model is loaded yet ({status.State}: {status.Detail})";
        }
    }

    /// <summary>Starts a training now (the schedule goes on from it); false when one is running or forecasts are off.</summary>
    public bool RequestTraining()
    {
        if (!_options.Enabled || Volatile.Read(ref _training) != 0)
        {
            return false;
        }

        Volatile.Read(ref _wake).Cancel();
        return true;
    }

    /// <summary>The last hour of 5-minute rows of <paramref name="manhole"/> and every rain gauge, ending now.</summary>
    public Task<SeriesFrame> RecentSewerAsync(Manhole manhole, CancellationToken cancellationToken) =>
        StoreHistory.SewersAsync(_store, [(manhole.DeviceId, manhole.PipeDiameter)], [.. Gauges.Select(g => g.DeviceId)], _time.GetUtcNow(), ServingTraining.SewerHistoryRows, cancellationToken);

    /// <summary>The last 8 days of 5-minute detector rows, ending at the last whole 5 minutes.</summary>
    public Task<SeriesFrame> RecentTrafficAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var end = new DateTimeOffset(now.Ticks - (now.Ticks % TrafficColumns.Step.Ticks), TimeSpan.Zero);
        return StoreHistory.TrafficAsync(_store, Detectors, end, ServingTraining.TrafficHistoryRows, cancellationToken);
    }

    /// <summary>The recent 10-minute rows of every gauge, ending now (levels carried over short gaps).</summary>
    public Task<SeriesFrame> RecentAsync(CancellationToken cancellationToken) =>
        StoreHistory.RiversAsync(_store, [.. Gauges.Select(g => g.DeviceId)], _time.GetUtcNow(), RecentRows, fillGaps: true, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        // Off the start-up path: the hub prints its address first.
        await Task.Yield();
        var next = LoadNewest();
        await Task.WhenAll(TrainingLoopAsync(next, stoppingToken), AlertLoopAsync(stoppingToken));
    }

    private DateTimeOffset LoadNewest()
    {
        try
        {
            string? folder = NewestModelFolder();
            if (folder is null || Service.Load(folder) == 0)
            {
                return _time.GetUtcNow();
            }

            var trained = ReadTrained(folder);
            var at = trained?.TrainedAt ?? Directory.GetLastWriteTimeUtc(folder);
            var next = at + _options.RetrainInterval;
            SetStatus(new ForecastStatus("ready", $"loaded {Service.Models.Count} models from {folder}", 100, Service.Models.Count, at, trained?.Source ?? "model files", next, null));
            LogLoaded(Service.Models.Count, folder, at, next);
            return next;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException or InvalidOperationException or FormatException or UnauthorizedAccessException)
        {
            LogLoadFailed(ModelsDirectory, ex.Message);
            return _time.GetUtcNow();
        }
    }

    /// <summary>
    /// The folder to load: the newest version folder the hub trained, else the models folder itself when it
    /// holds model files (the training command's output copied there), else none.
    /// </summary>
    private string? NewestModelFolder()
    {
        if (!Directory.Exists(ModelsDirectory))
        {
            return null;
        }

        return Directory.EnumerateDirectories(ModelsDirectory, VersionPrefix + "*")
            .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal))
            .OrderDescending(StringComparer.Ordinal)
            .FirstOrDefault()
            ?? (Directory.EnumerateFiles(ModelsDirectory, "*.zip").Any() ? ModelsDirectory : null);
    }

    private async Task TrainingLoopAsync(DateTimeOffset next, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = next - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Volatile.Read(ref _wake).Token);
                try
                {
                    await Task.Delay(wait > MaxDelay ? MaxDelay : wait, _time, either.Token);
                    continue;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (OperationCanceledException)
                {
                    // Woken by RequestTraining.
                }
            }

            Volatile.Write(ref _training, 1);
            try
            {
                next = await TrainOnceAsync(cancellationToken);
            }
            finally
            {
                // Not disposed: RequestTraining may be cancelling it right now (a CancellationTokenSource without timers holds nothing).
                Volatile.Write(ref _wake, new CancellationTokenSource());
                Volatile.Write(ref _training, 0);
            }
        }
    }

    /// <summary>One training; returns when the next one is due.</summary>
    internal async Task<DateTimeOffset> TrainOnceAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        string? tmp = null;
        try
        {
            Progress("reading the store's river history", 0);
            var end = new DateTimeOffset(started.Ticks - (started.Ticks % RiverColumns.Step.Ticks), TimeSpan.Zero);
            var frame = await StoreHistory.RiversAsync(_store, [.. Gauges.Select(g => g.DeviceId)], end, _options.TrainingDays * 144, fillGaps: false, cancellationToken);
            double days = Gauges.Count == 0 ? 0 : Gauges.Max(g => frame[RiverColumns.Level(g.DeviceId)].Count(v => !double.IsNaN(v))) / 144.0;
            string source;
            if (days >= _options.MinHistoryDays)
            {
                source = string.Create(CultureInfo.InvariantCulture, $"the store: {days:F1} days of river history to {end:u}");
            }
            else if (_simulate)
            {
                Progress(string.Create(CultureInfo.InvariantCulture, $"simulating {_options.SimulatedDays} days of the city's rivers (the store holds {days:F1} days; {_options.MinHistoryDays} are needed)"), 5);
                int simulatedDays = _options.SimulatedDays;
                frame = await Task.Run(() => ServingTraining.SimulateRivers(City, _seed + 1, end - TimeSpan.FromDays(simulatedDays), simulatedDays), cancellationToken);
                source = string.Create(CultureInfo.InvariantCulture, $"the simulated city: {simulatedDays} days (the store held {days:F1} days of the {_options.MinHistoryDays} needed)");
            }
            else
            {
                var retry = started + TimeSpan.FromHours(Math.Min(1, _options.RetrainInterval.TotalHours));
                string why = string.Create(CultureInfo.InvariantCulture, $"the store holds {days:F1} days of river levels; training starts once it holds {_options.MinHistoryDays}");
                SetStatus(Status with { State = HasRiverModels ? "ready" : "waiting-for-history", Detail = why, Percent = 0, NextTraining = retry });
                LogWaiting(why, retry);
                return retry;
            }

            var version = Path.Combine(ModelsDirectory, VersionPrefix + started.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
            tmp = version + ".tmp";
            var progress = new InlineProgress<TrainingProgress>(p => Progress(p.Task, 10 + (p.Percent * 0.5)));
            var options = new GbmOptions(Iterations: _options.Iterations);
            var cards = (await Task.Run(() => ServingTraining.TrainRivers(City, frame, tmp, options, progress, cancellationToken), cancellationToken)).ToList();
            source += "; " + await TrainSewersAsync(started, tmp, options, cards, cancellationToken);
            source += "; " + await TrainTrafficAsync(started, tmp, options, cards, cancellationToken);
            source += "; " + await TrainCrowdingAsync(started, tmp, options, cards, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(tmp, TrainedFile), JsonSerializer.Serialize(new TrainedFileContent(started, source)), cancellationToken);
            Directory.Move(tmp, version);
            tmp = null;

            // The swap: requests answered from here on use the new models.
            int loaded = Service.Load(version);
            RemoveOldVersions(version);
            var next = started + _options.RetrainInterval;
            double seconds = (_time.GetUtcNow() - started).TotalSeconds;
            SetStatus(new ForecastStatus("ready", string.Create(CultureInfo.InvariantCulture, $"{loaded} models trained in {seconds:F0} s on {source}"), 100, loaded, started, source, next, null));
            LogTrained(cards.Count, seconds, source, next);
            return next;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return DateTimeOffset.MaxValue;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var retry = started + (FailedRetry < _options.RetrainInterval ? FailedRetry : _options.RetrainInterval);
            SetStatus(Status with { State = HasRiverModels ? "ready" : "failed", Detail = HasRiverModels ? "the last training failed; the previous models stay loaded" : "the training failed", Percent = 0, NextTraining = retry, LastError = ex.Message });
            LogTrainingFailed(ex, HasRiverModels ? "the previous models stay loaded" : "no models loaded", retry);
            return retry;
        }
        finally
        {
            if (tmp is not null && Directory.Exists(tmp))
            {
                Directory.Delete(tmp, recursive: true);
            }
        }
    }

    /// <summary>The sewer models into <paramref name="folder"/> (from the store's history of a few manholes per district, or simulated); returns what they were trained on.</summary>
    private async Task<string> TrainSewersAsync(DateTimeOffset started, string folder, GbmOptions options, List<ModelCard> cards, CancellationToken cancellationToken)
    {
        var training = City.SewerDistricts.SelectMany(d => d.Manholes.Take(SewerTrainingManholes)).Select(m => (m.DeviceId, m.PipeDiameter)).ToList();
        if (training.Count == 0)
        {
            return "no manholes";
        }

        Progress("reading the store's sewer history", 64);
        var end = new DateTimeOffset(started.Ticks - (started.Ticks % SewerColumns.Step.Ticks), TimeSpan.Zero);
        var frame = await StoreHistory.SewersAsync(_store, training, [.. Gauges.Select(g => g.DeviceId)], end, _options.TrainingDays * 288, cancellationToken);
        double days = training.Max(m => frame[SewerColumns.Level(m.DeviceId)].Count(v => !double.IsNaN(v))) / 288.0;
        string source;
        if (days >= _options.MinHistoryDays)
        {
            source = string.Create(CultureInfo.InvariantCulture, $"sewers from the store ({days:F1} days)");
        }
        else if (_simulate)
        {
            int simulatedDays = _options.SimulatedDays;
            Progress(string.Create(CultureInfo.InvariantCulture, $"simulating {simulatedDays} days of {training.Count} manholes (the store holds {days:F1} days; {_options.MinHistoryDays} are needed)"), 66);
            frame = await Task.Run(() => ServingTraining.SimulateSewers(City, _seed + 1, end - TimeSpan.FromDays(simulatedDays), simulatedDays, SewerTrainingManholes), cancellationToken);
            source = string.Create(CultureInfo.InvariantCulture, $"sewers from the simulated city ({simulatedDays} days)");
        }
        else
        {
            return string.Create(CultureInfo.InvariantCulture, $"sewers not trained: the store holds {days:F1} days of their history, {_options.MinHistoryDays} are needed");
        }

        Progress("sewers: fitting the 10- and 30-minute models", 68);
        cards.AddRange(await Task.Run(() => ServingTraining.TrainSewers(City, frame, folder, options, cancellationToken), cancellationToken));
        return source;
    }

    /// <summary>The detector models into <paramref name="folder"/> (from the store's history, or simulated); returns what they were trained on.</summary>
    private async Task<string> TrainTrafficAsync(DateTimeOffset started, string folder, GbmOptions options, List<ModelCard> cards, CancellationToken cancellationToken)
    {
        if (Detectors.Count == 0)
        {
            return "no detectors";
        }

        Progress("reading the store's detector history", 72);
        var end = new DateTimeOffset(started.Ticks - (started.Ticks % TrafficColumns.Step.Ticks), TimeSpan.Zero);
        var frame = await StoreHistory.TrafficAsync(_store, Detectors, end, _options.TrainingDays * 288, cancellationToken);
        double days = Detectors.Max(d => frame[TrafficColumns.Volume(d)].Count(v => !double.IsNaN(v))) / 288.0;
        int needed = Math.Max(_options.MinHistoryDays, MinTrafficDays);
        string source;
        if (days >= needed)
        {
            source = string.Create(CultureInfo.InvariantCulture, $"detectors from the store ({days:F1} days)");
        }
        else if (_simulate && _options.SimulatedDays >= MinTrafficDays)
        {
            int simulatedDays = _options.SimulatedDays;
            Progress(string.Create(CultureInfo.InvariantCulture, $"simulating {simulatedDays} days of the city's detectors (the store holds {days:F1} days; {needed} are needed)"), 75);
            frame = await Task.Run(() => ServingTraining.SimulateTraffic(City, _seed + 1, end - TimeSpan.FromDays(simulatedDays), simulatedDays), cancellationToken);
            source = string.Create(CultureInfo.InvariantCulture, $"detectors from the simulated city ({simulatedDays} days)");
        }
        else
        {
            return string.Create(CultureInfo.InvariantCulture, $"detectors not trained: the store holds {days:F1} days of their history, {needed} are needed");
        }

        Progress("detectors: fitting volume, speed and queue models 15, 30 and 60 minutes ahead", 85);
        cards.AddRange(await Task.Run(() => ServingTraining.TrainTraffic(City, frame, folder, options, cancellationToken), cancellationToken));
        return source;
    }

    /// <summary>The day-ahead crowding model and table into <paramref name="folder"/> (simulated weekdays); returns what it was trained on.</summary>
    private async Task<string> TrainCrowdingAsync(DateTimeOffset started, string folder, GbmOptions options, List<ModelCard> cards, CancellationToken cancellationToken)
    {
        if (City.SubwayLines.Count == 0)
        {
            return "no subway lines";
        }

        // Rebuilding each weekday's departures from the store's car readings is not built: the timetable comes from the simulated city.
        if (!_simulate)
        {
            return "crowding not trained: it learns from the simulated city's weekdays (Forecast:SimulateWhenNoHistory)";
        }

        int simulatedDays = _options.SimulatedDays;
        Progress(string.Create(CultureInfo.InvariantCulture, $"simulating {simulatedDays} days of the city's subway cars"), 92);
        var localEnd = started.ToOffset(TimeSpan.FromHours(9));
        var end = new DateTimeOffset(localEnd.Date, TimeSpan.FromHours(9));
        var weekdays = await Task.Run(() => ServingTraining.SimulateWeekdays(City, _seed + 1, end - TimeSpan.FromDays(simulatedDays), simulatedDays), cancellationToken);
        Progress(string.Create(CultureInfo.InvariantCulture, $"crowding: fitting the day-ahead model on {weekdays.Count} weekdays"), 96);
        cards.Add(await Task.Run(() => ServingTraining.TrainCrowding(City, weekdays, folder, options, cancellationToken), cancellationToken));
        return string.Create(CultureInfo.InvariantCulture, $"crowding from the simulated city ({weekdays.Count} weekdays)");
    }

    /// <summary>Load factors train <paramref name="train"/> of <paramref name="line"/> reported from <paramref name="from"/> to <paramref name="to"/>: (time, car, load factor).</summary>
    public Task<IReadOnlyList<(DateTimeOffset Time, int Car, double LoadFactor)>> CarLoadsAsync(SubwayLine line, int train, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        StoreHistory.CarLoadsAsync(_store, [.. Enumerable.Range(1, line.CarsPerTrain).Select(c => (line.CarDeviceId(train, c), c))], from, to, cancellationToken);

    private void Progress(string task, double percent)
    {
        var status = Status;
        SetStatus(status with { State = "training", Detail = task, Percent = percent });
        LogProgress(percent, task);
    }

    private void SetStatus(ForecastStatus status) => Volatile.Write(ref _status, status);

    private void RemoveOldVersions(string keep)
    {
        foreach (string folder in Directory.EnumerateDirectories(ModelsDirectory, VersionPrefix + "*"))
        {
            if (!string.Equals(folder, keep, StringComparison.Ordinal))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException ex)
                {
                    LogRemoveFailed(folder, ex.Message);
                }
            }
        }
    }

    private static TrainedFileContent? ReadTrained(string folder)
    {
        string path = Path.Combine(folder, TrainedFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<TrainedFileContent>(File.ReadAllText(path)) : null;
    }

    private async Task AlertLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await EvaluateAlertsAsync(cancellationToken);
                await Task.Delay(_options.AlertInterval, _time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StorageException or QueryException or InvalidOperationException or ArgumentException)
            {
                LogAlertsFailed(ex.Message);
                await Task.Delay(_options.AlertInterval, _time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Re-evaluates the alerts from the newest readings.</summary>
    internal async Task EvaluateAlertsAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!HasRiverModels)
        {
            _inForce.Clear();
            Volatile.Write(ref _alerts, new ForecastAlerts(now, []));
            return;
        }

        var frame = await RecentAsync(cancellationToken);
        var warnings = Service.RiverWarnings(frame, _options.WarningProbability);
        var levels = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var gauge in Gauges)
        {
            var level = frame[RiverColumns.Level(gauge.DeviceId)];
            levels[gauge.DeviceId] = level.Length == 0 ? double.NaN : level[^1];
        }

        var (raised, ended) = _inForce.Update(now, levels, Gauges.ToDictionary(g => g.DeviceId, g => g.Thresholds, StringComparer.Ordinal), warnings);
        foreach (var alert in raised)
        {
            LogAlert(alert.Warning.Message);
        }

        foreach (var (alert, end) in ended)
        {
            LogAlertEnded(alert.Warning.GaugeId, alert.Warning.ThresholdName, end == AlertEnd.Reached ? "the gauge reached it" : "no forecast renewed it for 120 minutes", alert.Since);
        }

        Volatile.Write(ref _alerts, new ForecastAlerts(now, _inForce.Alerts));
    }

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Forecasts: loaded {Count} models from {Folder} (trained {TrainedAt:u}); next training {Next:u}")]
    private partial void LogLoaded(int count, string folder, DateTimeOffset trainedAt, DateTimeOffset next);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Forecasts: could not load the model files in {Folder}: {Error}; training new ones")]
    private partial void LogLoadFailed(string folder, string error);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information, Message = "Forecasts: not training: {Why}; next look {Next:u}")]
    private partial void LogWaiting(string why, DateTimeOffset next);

    [LoggerMessage(EventId = 704, Level = LogLevel.Information, Message = "Forecasts: {Count} models trained in {Seconds:F0} s on {Source} and swapped in; next training {Next:u}")]
    private partial void LogTrained(int count, double seconds, string source, DateTimeOffset next);

    [LoggerMessage(EventId = 705, Level = LogLevel.Error, Message = "Forecasts: training failed; {Kept}; next try {Next:u}")]
    private partial void LogTrainingFailed(Exception ex, string kept, DateTimeOffset next);

    [LoggerMessage(EventId = 706, Level = LogLevel.Information, Message = "Forecasts: training {Percent,3:F0}% {Task}")]
    private partial void LogProgress(double percent, string task);

    [LoggerMessage(EventId = 707, Level = LogLevel.Warning, Message = "Forecasts: could not remove old models {Folder}: {Error}")]
    private partial void LogRemoveFailed(string folder, string error);

    [LoggerMessage(EventId = 708, Level = LogLevel.Warning, Message = "Forecasts: alert evaluation failed: {Error}")]
    private partial void LogAlertsFailed(string error);

    [LoggerMessage(EventId = 709, Level = LogLevel.Warning, Message = "Forecast alert: {Message}")]
    private partial void LogAlert(string message);

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Forecast alert ended: {Gauge} {Threshold} (raised {Since:u}): {Why}")]
    private partial void LogAlertEnded(string gauge, string threshold, string why, DateTimeOffset since);

    /// <summary>What <c>trained.json</c> in a version folder says.</summary>
    /// <param name="TrainedAt">When the training started.</param>
    /// <param name="Source">What it trained on.</param>
    private sealed record TrainedFileContent(DateTimeOffset TrainedAt, string Source);
}
