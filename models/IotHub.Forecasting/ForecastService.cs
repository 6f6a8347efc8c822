using System.Globalization;
using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>
/// Serves forecasts from a folder of model files (written by the training command). Thread-safe:
/// <see cref="Load"/> builds a new set of models and swaps it in with one reference write, so a
/// retrain can replace the models while requests are being answered, without a restart.
/// </summary>
/// <remarks>
/// Inputs are <see cref="SeriesFrame"/>s the hub fills from its store: for rivers, 10-minute rows
/// (<see cref="RiverColumns"/>) of every gauge of the city over at least the last 3 hours, ending at
/// the origin; for traffic, 5-minute rows (<see cref="TrafficColumns"/>) over at least the last 8 days
/// (the historical average and the same slot last week come from them).
/// </remarks>
public sealed class ForecastService
{
    private static readonly string[] ThresholdNames = ["standby", "flood caution", "evacuation judgement", "flood danger"];

    private readonly CityScenario _city;
    private readonly RiverNetwork _network;
    private Snapshot _current = new(new Dictionary<string, HorizonModel>(StringComparer.Ordinal), "", null);

    /// <summary>Creates a service for <paramref name="city"/> with no models loaded.</summary>
    public ForecastService(CityScenario city)
    {
        ArgumentNullException.ThrowIfNull(city);
        _city = city;
        _network = new RiverNetwork(city);
    }

    /// <summary>The city whose gauges and detectors the service forecasts.</summary>
    public CityScenario City => _city;

    /// <summary>The cards of the loaded models (training window, metrics).</summary>
    public IReadOnlyList<ModelCard> Models => [.. Volatile.Read(ref _current).Models.Values.Select(m => m.Card)];

    /// <summary>The warning probability on the loaded river models' cards, or 0.5 when they carry none.</summary>
    public double ChosenWarningProbability
    {
        get
        {
            var models = Volatile.Read(ref _current).Models.Values;
            var card = (models.FirstOrDefault(m => m.Card.Target == RiverForecaster.WarningTarget) ?? models.FirstOrDefault(m => m.Card.Target == RiverForecaster.LevelTarget))?.Card;
            return card?.WarningProbability ?? RiverForecaster.WarningProbability;
        }
    }

    /// <summary>The folder the loaded models came from.</summary>
    public string Folder => Volatile.Read(ref _current).Folder;

    /// <summary>Loads every model in <paramref name="folder"/> and swaps them in atomically; returns how many.</summary>
    public int Load(string folder)
    {
        var models = new Dictionary<string, HorizonModel>(StringComparer.Ordinal);
        foreach (string card in Directory.EnumerateFiles(folder, "*.json"))
        {
            if (File.Exists(Path.ChangeExtension(card, ".zip")))
            {
                var model = HorizonModel.Load(card);
                models[model.Card.Name] = model;
            }
        }

        Volatile.Write(ref _current, new Snapshot(models, folder, CrowdingTable.Load(folder)));
        return models.Count;
    }

    /// <summary>
    /// The level forecast of <paramref name="gaugeId"/> from the last row of <paramref name="recent"/>, or null when no river model is
    /// loaded or the data is missing. Level and interval come from the level models; the threshold probabilities from the warning
    /// models (<see cref="RiverForecaster.WarningTarget"/>) when they are loaded, else from the level models.
    /// </summary>
    public RiverForecast? ForecastRiver(string gaugeId, SeriesFrame recent)
    {
        ArgumentNullException.ThrowIfNull(recent);
        if (!_network.Index.TryGetValue(gaugeId, out int g) || recent.Step != RiverColumns.Step)
        {
            return null;
        }

        var snapshot = Volatile.Read(ref _current);
        var features = new RiverFeatures(_network, recent);
        int origin = recent.Length - 1;
        double[] levels = _network.Gauges[g].Thresholds.Levels();
        var horizons = new List<RiverHorizonForecast>();
        RiverFeatures? plain = null;
        foreach (int minutes in RiverForecaster.HorizonMinutes)
        {
            if (!snapshot.Models.TryGetValue(RiverForecaster.LevelName(minutes), out var model) || features.Build(g, origin, minutes / 10) is not { } f)
            {
                continue;
            }

            int bin = features.Bin(g, origin);
            double level = features.Level(g, origin) + model.Predict(f);
            var (warning, warningLevel) = (model, level);
            if (snapshot.Models.TryGetValue(RiverForecaster.WarningName(minutes), out var w))
            {
                var wf = RiverFeatures.UsesPhysics(w.Card.Features) ? f : (plain ??= new RiverFeatures(_network, recent, physics: false)).Build(g, origin, minutes / 10);
                if (wf is not null)
                {
                    (warning, warningLevel) = (w, features.Level(g, origin) + w.Predict(wf));
                }
            }

            double now = features.Level(g, origin);
            int levelBin = model.UncertaintyBin(bin, level - now);
            int warningBin = warning.UncertaintyBin(bin, warningLevel - now);
            horizons.Add(new RiverHorizonForecast(
                minutes,
                recent.TimeAt(origin).AddMinutes(minutes),
                level,
                level + model.ResidualQuantile(levelBin, 0.1),
                level + model.ResidualQuantile(levelBin, 0.9),
                [.. levels.Select(t => warning.ProbabilityAtLeast(warningBin, warningLevel, t))]));
        }

        return horizons.Count == 0 ? null : new RiverForecast(gaugeId, recent.TimeAt(origin), features.Level(g, origin), horizons);
    }

    /// <summary>
    /// Forecast alerts for every gauge: each threshold a gauge is below now and will reach with at least
    /// <paramref name="probability"/> (from the warning models when loaded) within 120 minutes; null uses the probability on the
    /// river models' cards (<see cref="ModelCard.WarningProbability"/>), or 0.5 when they carry none.
    /// </summary>
    public IReadOnlyList<ThresholdWarning> RiverWarnings(SeriesFrame recent, double? probability = null)
    {
        double warnAt = probability ?? ChosenWarningProbability;
        var warnings = new List<ThresholdWarning>();
        foreach (var gauge in _network.Gauges)
        {
            if (ForecastRiver(gauge.DeviceId, recent) is not { } forecast)
            {
                continue;
            }

            double[] levels = gauge.Thresholds.Levels();
            for (int k = 0; k < levels.Length; k++)
            {
                if (forecast.Level >= levels[k])
                {
                    continue;
                }

                int first = -1;
                for (int h = 0; h < forecast.Horizons.Count && first < 0; h++)
                {
                    first = forecast.Horizons[h].ThresholdProbabilities[k] >= warnAt ? h : -1;
                }

                if (first < 0)
                {
                    continue;
                }

                double p = forecast.Horizons.Max(h => h.ThresholdProbabilities[k]);
                int minutes = CrossingMinutes(forecast, first, levels[k]);
                warnings.Add(new ThresholdWarning(
                    gauge.DeviceId,
                    k + 1,
                    ThresholdNames[k],
                    levels[k],
                    p,
                    minutes,
                    string.Create(CultureInfo.InvariantCulture, $"{gauge.DeviceId} ({gauge.Name}) will reach its {ThresholdNames[k]} level ({levels[k]:F2} m) in about {minutes} minutes (p = {p:F2})")));
            }
        }

        return warnings;
    }

    /// <summary>
    /// When the forecast path reaches <paramref name="threshold"/>: interpolated between the origin (or the
    /// horizon before <paramref name="first"/>) and the first horizon whose probability passed, rounded to 5 minutes.
    /// </summary>
    private static int CrossingMinutes(RiverForecast forecast, int first, double threshold)
    {
        var at = forecast.Horizons[first];
        double fromMinutes = first == 0 ? 0 : forecast.Horizons[first - 1].HorizonMinutes;
        double fromLevel = first == 0 ? forecast.Level : forecast.Horizons[first - 1].Level;
        if (at.Level <= fromLevel || threshold <= fromLevel || threshold >= at.Level)
        {
            return at.HorizonMinutes;
        }

        double minutes = fromMinutes + ((at.HorizonMinutes - fromMinutes) * (threshold - fromLevel) / (at.Level - fromLevel));
        return Math.Clamp((int)Math.Round(minutes / 5) * 5, 5, at.HorizonMinutes);
    }

    /// <summary>
    /// Forecast 15-minute means of a detector's <paramref name="target"/> (volume veh/min, speed km/h or queue_length m)
    /// 15, 30 and 60 minutes after the last row of <paramref name="recent"/>: (horizon minutes, value, 10th, 90th percentile).
    /// </summary>
    public IReadOnlyList<(int HorizonMinutes, double Value, double Lower, double Upper)> ForecastDetector(string detectorId, string target, SeriesFrame recent)
    {
        ArgumentNullException.ThrowIfNull(recent);
        int t = Array.IndexOf(TrafficFeatures.Targets, target);
        var result = new List<(int, double, double, double)>();
        if (t < 0 || recent.Step != TrafficColumns.Step)
        {
            return result;
        }

        var snapshot = Volatile.Read(ref _current);
        var features = new TrafficFeatures(_city, recent, 0, recent.Length);
        int d = -1;
        for (int i = 0; i < features.Count; i++)
        {
            if (string.Equals(features.Detector(i).Id, detectorId, StringComparison.Ordinal))
            {
                d = i;
            }
        }

        int origin = recent.Length - 1;
        foreach (int minutes in TrafficForecaster.HorizonMinutes)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"traffic-{target.Replace('_', '-')}-{minutes:000}min");
            if (d < 0 || !snapshot.Models.TryGetValue(name, out var model) || features.Build(d, t, origin, minutes / 5) is not { } f)
            {
                continue;
            }

            double value = features.Mean15(d, t, origin) + model.Predict(f);
            result.Add((minutes, value, value + model.ResidualQuantile(0, 0.1), value + model.ResidualQuantile(0, 0.9)));
        }

        return result;
    }

    /// <summary>
    /// Forecast sewer level of <paramref name="manholeId"/> 10 and 30 minutes after the last row of <paramref name="recent"/>
    /// (5-minute rows, <see cref="SewerColumns"/> and the rain gauges' rain, at least the last hour): (horizon minutes, level, 10th, 90th percentile), metres;
    /// empty when no sewer model is loaded, the manhole is not in the frame or its level at the origin is missing.
    /// </summary>
    public IReadOnlyList<(int HorizonMinutes, double Value, double Lower, double Upper)> ForecastSewer(string manholeId, SeriesFrame recent)
    {
        ArgumentNullException.ThrowIfNull(recent);
        var result = new List<(int, double, double, double)>();
        if (recent.Step != SewerColumns.Step || !recent.Contains(SewerColumns.Level(manholeId)))
        {
            return result;
        }

        var snapshot = Volatile.Read(ref _current);
        var features = new SewerFeatures(_city, recent);
        int m = Enumerable.Range(0, features.Count).FirstOrDefault(i => string.Equals(features.Manhole(i).DeviceId, manholeId, StringComparison.Ordinal), -1);
        int origin = recent.Length - 1;
        foreach (int minutes in SewerForecaster.HorizonMinutes)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"sewer-level-{minutes:000}min");
            if (m < 0 || !snapshot.Models.TryGetValue(name, out var model) || features.Build(m, origin, minutes / 5) is not { } f)
            {
                continue;
            }

            double diameter = features.Manhole(m).PipeDiameter;
            int bin = features.RainAround(m, origin, 0) > 0 ? 1 : 0;
            double value = Math.Clamp(features.Level(m, origin) + model.Predict(f), 0, diameter);
            result.Add((minutes, value, Math.Clamp(value + model.ResidualQuantile(bin, 0.1), 0, diameter), Math.Clamp(value + model.ResidualQuantile(bin, 0.9), 0, diameter)));
        }

        return result;
    }

    /// <summary>Webster's timing for an intersection from forecast critical-lane flow (veh/h per lane) and the conflicting phase's flow ratio.</summary>
    public static SignalTiming RecommendTiming(double mainCriticalFlowPerLane, double crossFlowRatio) =>
        Webster.Plan(mainCriticalFlowPerLane / Webster.SaturationFlow, crossFlowRatio);

    /// <summary>The loaded day-ahead crowding table, or null when the models hold none.</summary>
    public CrowdingTable? Crowding => Volatile.Read(ref _current).Crowding;

    /// <summary>
    /// Per-car load of <paramref name="line"/> train <paramref name="train"/> at every departure of the weekday timetable on
    /// <paramref name="serviceDate"/>: the day-ahead forecast, and for the trip running at <paramref name="at"/> the nowcast
    /// of its remaining departures (the day-ahead load scaled by the loads the train reported today so far against their
    /// day-ahead forecast). Null when no crowding table is loaded or it has no such train.
    /// </summary>
    /// <param name="line">Line id (the <c>line</c> tag).</param>
    /// <param name="train">Train number.</param>
    /// <param name="serviceDate">The service day (it starts at 05:00 JST).</param>
    /// <param name="observed">The train's readings so far: time, car, load factor (later ones than <paramref name="at"/> are ignored).</param>
    /// <param name="at">The nowcast's origin.</param>
    public CrowdingForecast? ForecastCrowding(string line, int train, DateOnly serviceDate, IReadOnlyList<(DateTimeOffset Time, int Car, double LoadFactor)> observed, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(observed);
        if (Crowding?.Train(line, train) is not { } rows)
        {
            return null;
        }

        var tokyo = TimeSpan.FromHours(9);
        var dayStart = new DateTimeOffset(serviceDate.ToDateTime(TimeOnly.MinValue), tokyo);
        DateTimeOffset When(CrowdingDeparture d) => dayStart + d.TimeOfDay + (d.TimeOfDay < TimeSpan.FromHours(5) ? TimeSpan.FromDays(1) : TimeSpan.Zero);

        // Each reading is the departure of its car nearest in time (a car reports as it leaves a station).
        double seen = 0, expected = 0;
        CrowdingDeparture? last = null;
        foreach (var (time, car, load) in observed)
        {
            if (time > at)
            {
                continue;
            }

            var match = rows.Where(r => r.Car == car).MinBy(r => Math.Abs((When(r) - time).TotalMinutes));
            if (match is null || Math.Abs((When(match) - time).TotalMinutes) > 3)
            {
                continue;
            }

            seen += load;
            expected += match.LoadFactor;
            if (last is null || When(match) > When(last))
            {
                last = match;
            }
        }

        double scale = CrowdingForecaster.Scale(seen, expected);
        bool running = last is not null && rows.Any(r => r.Trip == last.Trip && When(r) > at);
        var departures = rows.Select(r => new CrowdingStopForecast(
            r.Car,
            r.Departure,
            r.Station,
            r.Forward,
            r.Trip,
            When(r),
            r.LoadFactor,
            running && r.Trip == last!.Trip && When(r) > at ? r.LoadFactor * scale : null)).ToList();
        return new CrowdingForecast(line, train, serviceDate, Crowding!.MadeFrom, running ? last!.Trip : null, running ? scale : null, departures);
    }

    private sealed record Snapshot(Dictionary<string, HorizonModel> Models, string Folder, CrowdingTable? Crowding);
}
