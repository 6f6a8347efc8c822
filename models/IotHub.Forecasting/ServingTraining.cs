using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting;

/// <summary>
/// Training for a running hub: fits the serving models on one whole window of history (the
/// store's, or the simulated city's when the store has none yet) and writes their files, so
/// <see cref="ForecastService.Load"/> can swap them in. The backtests of the training command
/// measure how good these models are; this only fits them.
/// </summary>
public static class ServingTraining
{
    /// <summary>Rows of 10-minute history a river forecast reads: the 3 hours before its origin and the origin.</summary>
    public const int RiverHistoryRows = RiverFeatures.History + 1;

    /// <summary>Fewest days of river history a training needs (the 120-minute model needs storms to learn from).</summary>
    public const double MinRiverDays = 2;

    /// <summary>River gauge history of <paramref name="city"/> from its simulator: 10-minute rows of level and rain.</summary>
    public static SeriesFrame SimulateRivers(CityScenario city, int seed, DateTimeOffset start, int days)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        return CityHistory.Rivers(city, seed, start, days, RadarNowcastErrors.Calibrated);
    }

    /// <summary>
    /// Fits one river level model and one warning model per horizon (10-120 minutes) on every row of <paramref name="frame"/>
    /// (see <see cref="RiverForecaster.Train(SeriesFrame, int, int, IProgress{int}?, CancellationToken)"/>) and writes their files
    /// into <paramref name="folder"/>; returns their cards.
    /// </summary>
    /// <param name="city">The city whose gauges the frame holds (every gauge needs a level column).</param>
    /// <param name="frame">10-minute rows (<see cref="RiverColumns"/>).</param>
    /// <param name="folder">Where the model files go (created).</param>
    /// <param name="options">Tree settings; null for the defaults.</param>
    /// <param name="progress">Reports (task, percent of this training) before each horizon.</param>
    /// <param name="cancellationToken">Stops between horizons.</param>
    /// <exception cref="ArgumentException">The frame is not 10-minute rows, misses a gauge, or is shorter than <see cref="MinRiverDays"/>.</exception>
    public static IReadOnlyList<ModelCard> TrainRivers(CityScenario city, SeriesFrame frame, string folder, GbmOptions? options, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Step != RiverColumns.Step)
        {
            throw new ArgumentException($"River history must have 10-minute rows; this frame's step is {frame.Step}.", nameof(frame));
        }

        if (frame.Length * frame.Step < TimeSpan.FromDays(MinRiverDays))
        {
            throw new ArgumentException($"River training needs at least {MinRiverDays} days of history; the frame holds {(frame.Length * frame.Step).TotalDays:F1}.", nameof(frame));
        }

        var forecaster = new RiverForecaster(city, TrainerKind.Auto, options ?? new GbmOptions());
        foreach (var gauge in forecaster.Network.Gauges)
        {
            if (!frame.Contains(RiverColumns.Level(gauge.DeviceId)))
            {
                throw new ArgumentException($"The history has no level column for gauge {gauge.DeviceId}.", nameof(frame));
            }
        }

        int horizons = RiverForecaster.HorizonMinutes.Length;
        var started = new InlineProgress<int>(h => progress?.Report(new TrainingProgress(
            $"rivers: fitting the {RiverForecaster.HorizonMinutes[h % horizons]}-minute {(h < horizons ? "level" : "warning")} model on {frame.Length * frame.Step:%d} days", 100.0 * h / (2 * horizons))));
        var models = forecaster.Train(frame, 0, frame.Length, started, cancellationToken);
        Directory.CreateDirectory(folder);
        foreach (var model in models)
        {
            model.Save(folder);
        }

        progress?.Report(new TrainingProgress("rivers: done", 100));
        return [.. models.Select(m => m.Card)];
    }

    /// <summary>Rows of 5-minute history a detector forecast reads: 8 days (the same slot last week and the time-of-week average come from them).</summary>
    public const int TrafficHistoryRows = TrafficFeatures.Week + 288;

    /// <summary>Detector history of <paramref name="city"/> from its simulator: 5-minute means of volume (veh/min), speed and queue length.</summary>
    public static SeriesFrame SimulateTraffic(CityScenario city, int seed, DateTimeOffset start, int days)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        return CityHistory.Traffic(city, seed, start, days);
    }

    /// <summary>
    /// Fits the detector models (volume, speed and queue length, 15, 30 and 60 minutes ahead) on every row of
    /// <paramref name="frame"/> and writes their files into <paramref name="folder"/>; returns their cards.
    /// </summary>
    /// <param name="city">The city whose detectors the frame holds (every detector needs its three columns).</param>
    /// <param name="frame">5-minute rows (<see cref="TrafficColumns"/>).</param>
    /// <param name="folder">Where the model files go (created).</param>
    /// <param name="options">Tree settings; null for the defaults.</param>
    /// <param name="cancellationToken">Stops before fitting.</param>
    /// <exception cref="ArgumentException">The frame is not 5-minute rows, misses a detector, or holds less than 14 days.</exception>
    public static IReadOnlyList<ModelCard> TrainTraffic(CityScenario city, SeriesFrame frame, string folder, GbmOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Step != TrafficColumns.Step)
        {
            throw new ArgumentException($"Detector history must have 5-minute rows; this frame's step is {frame.Step}.", nameof(frame));
        }

        if (frame.Length < 2 * TrafficFeatures.Week)
        {
            throw new ArgumentException($"Detector training needs at least 14 days of history (the same slot last week is a feature); the frame holds {(frame.Length * frame.Step).TotalDays:F1}.", nameof(frame));
        }

        string? missing = city.Intersections.SelectMany(x => Enumerable.Range(1, x.Lanes).Select(x.DetectorDeviceId)).FirstOrDefault(id => !frame.Contains(TrafficColumns.Volume(id)));
        if (missing is not null)
        {
            throw new ArgumentException($"The history has no columns for detector {missing}.", nameof(frame));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var models = new TrafficForecaster(city, TrainerKind.Auto, options ?? new GbmOptions()).Train(frame, 0, frame.Length).SelectMany(m => m).ToList();
        Directory.CreateDirectory(folder);
        foreach (var model in models)
        {
            model.Save(folder);
        }

        return [.. models.Select(m => m.Card)];
    }

    /// <summary>Rows of 5-minute history a sewer forecast reads: the hour before its origin and the origin.</summary>
    public const int SewerHistoryRows = SewerFeatures.History + 1;

    /// <summary>
    /// Sewer history of <paramref name="city"/> from its simulator: 5-minute rows of the first
    /// <paramref name="manholesPerDistrict"/> manholes of every district and the rain gauges' rain
    /// (the pooled model learns the pipe from its features, so a few manholes per district teach it).
    /// </summary>
    public static SeriesFrame SimulateSewers(CityScenario city, int seed, DateTimeOffset start, int days, int manholesPerDistrict)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(manholesPerDistrict, 1);
        return CityHistory.Sewers(city, seed, start, days, manholesPerDistrict);
    }

    /// <summary>Fits the sewer level models (10 and 30 minutes ahead) on every row of <paramref name="frame"/> and writes their files into <paramref name="folder"/>.</summary>
    /// <param name="city">The city (its districts and rain gauges).</param>
    /// <param name="frame">5-minute rows (<see cref="SewerColumns"/> and the gauges' rain).</param>
    /// <param name="folder">Where the model files go (created).</param>
    /// <param name="options">Tree settings; null for the defaults.</param>
    /// <param name="cancellationToken">Stops before fitting.</param>
    /// <exception cref="ArgumentException">The frame is not 5-minute rows, holds no manhole, or less than 2 days.</exception>
    public static IReadOnlyList<ModelCard> TrainSewers(CityScenario city, SeriesFrame frame, string folder, GbmOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Step != SewerColumns.Step)
        {
            throw new ArgumentException($"Sewer history must have 5-minute rows; this frame's step is {frame.Step}.", nameof(frame));
        }

        if (frame.Length * frame.Step < TimeSpan.FromDays(MinRiverDays))
        {
            throw new ArgumentException($"Sewer training needs at least {MinRiverDays} days of history; the frame holds {(frame.Length * frame.Step).TotalDays:F1}.", nameof(frame));
        }

        if (new SewerFeatures(city, frame).Count == 0)
        {
            throw new ArgumentException("The history holds no manhole of the city.", nameof(frame));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var models = new SewerForecaster(city, TrainerKind.Auto, options ?? new GbmOptions()).Train(frame, 0, frame.Length);
        Directory.CreateDirectory(folder);
        foreach (var model in models)
        {
            model.Save(folder);
        }

        return [.. models.Select(m => m.Card)];
    }

    /// <summary>Fewest weekdays of car loads a crowding training needs (the features read the five weekdays before a day).</summary>
    public const int MinCrowdingWeekdays = 8;

    /// <summary>Every instrumented car's departures on the weekdays among <paramref name="days"/> days of <paramref name="city"/> from <paramref name="start"/>, simulated.</summary>
    public static IReadOnlyList<IReadOnlyList<CarStop>> SimulateWeekdays(CityScenario city, int seed, DateTimeOffset start, int days)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        return CrowdingForecaster.Weekdays(city, seed, start, days);
    }

    /// <summary>
    /// Fits the day-ahead crowding model on <paramref name="weekdays"/> (each weekday's departures in timetable-slot order, as
    /// <see cref="SimulateWeekdays"/> gives them) and writes it with the day-ahead table of the next weekday
    /// (<see cref="CrowdingTable"/>) into <paramref name="folder"/>; returns its card.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than <see cref="MinCrowdingWeekdays"/> weekdays, or weekdays with different timetables.</exception>
    public static ModelCard TrainCrowding(CityScenario city, IReadOnlyList<IReadOnlyList<CarStop>> weekdays, string folder, GbmOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentNullException.ThrowIfNull(weekdays);
        if (weekdays.Count < MinCrowdingWeekdays)
        {
            throw new ArgumentException($"Crowding training needs at least {MinCrowdingWeekdays} weekdays of car loads; the history holds {weekdays.Count}.", nameof(weekdays));
        }

        int slots = weekdays[^1].Count;
        if (slots == 0 || weekdays.Any(d => d.Count != slots))
        {
            throw new ArgumentException($"Every weekday must hold the same timetable slots ({slots} on the last); they differ.", nameof(weekdays));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var days = weekdays.Select(d => d.ToArray()).ToList();
        var forecaster = new CrowdingForecaster(city, TrainerKind.Auto, options ?? new GbmOptions());
        var model = forecaster.Train(days, 0, days.Count, days[0][0].Time, days[^1][^1].Time);
        var (timetable, forecast) = forecaster.DayAhead(model, days);
        Directory.CreateDirectory(folder);
        model.Save(folder);
        CrowdingTable.Write(folder, city, timetable, forecast, days[^1][^1].Time);
        return model.Card;
    }
}
