using System.Globalization;
using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting;

/// <summary>
/// The training command's work for the simulated city: simulate, backtest with rolling origins,
/// write the last origin's models (trained on the most recent window) and the report.
/// </summary>
internal sealed class CityTraining
{
    // Manholes per district the sewer history simulates (40 of the default city's 800): the pooled model learns the pipe from its features.
    private const int SewerManholesPerDistrict = 2;

    private readonly CityScenario _city;
    private readonly CityTrainingOptions _options;
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly Func<PlotSeries, string, bool> _plot;
    private readonly MarkdownReport _report = new("IotHub forecasts: training and backtest report");
    private readonly List<string> _results = [];
    private double _finalSeconds;
    private double _finalCpuSeconds;

    public CityTraining(CityScenario city, CityTrainingOptions options, IProgress<TrainingProgress>? progress, Func<PlotSeries, string, bool> plot)
    {
        _city = city;
        _options = options;
        _progress = progress;
        _plot = plot;
    }

    /// <summary>Measured acceptance numbers, one line each, for RESULTS-forecast.md.</summary>
    public IReadOnlyList<string> Results => _results;

    public string Run()
    {
        Directory.CreateDirectory(_options.ModelFolder);
        Directory.CreateDirectory(_options.ReportFolder);
        int totalDays = _options.TrainDays + (_options.Folds * _options.TestDays);
        _report.Paragraph(MarkdownReport.Invariant(
            $"Simulated city `{_city.Name}`, seed {_options.Seed}, {totalDays} days from {_options.Start.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd} JST. Rolling origins: {_options.Folds}, each training on the {_options.TrainDays} days before it and forecasting the {_options.TestDays} days after it; scores pool every origin. Learner: {Gbm.Resolve(_options.Trainer)}. The model files are the last origin's (trained on the most recent {_options.TrainDays} days)."));
        if (_options.Parts.Contains("nowcast"))
        {
            Nowcast();
        }

        if (_options.Parts.Contains("rivers"))
        {
            Rivers(totalDays);
        }

        if (_options.Parts.Contains("traffic") || _options.Parts.Contains("signals"))
        {
            Traffic(totalDays);
        }

        if (_options.Parts.Contains("crowding"))
        {
            Crowding(totalDays);
        }

        if (_options.Parts.Contains("sewers"))
        {
            Sewers(totalDays);
        }

        _results.Add(MarkdownReport.Invariant($"training every model of the city on {_options.TrainDays} days (last origin, the written models): {_finalSeconds:F0} s wall, {_finalCpuSeconds:F0} s CPU (sum of each part's last-origin training; feature building included, simulation excluded; {Environment.ProcessorCount} cores shared with other work)"));
        _report.Heading("Acceptance numbers").Paragraph(string.Join(Environment.NewLine, _results.Select(r => "- " + r)));
        string text = _report.ToString();
        File.WriteAllText(Path.Combine(_options.ReportFolder, "forecast-report.md"), text);
        return text;
    }

    private void Report(string task, double percent) => _progress?.Report(new TrainingProgress(task, percent));

    /// <summary>Days of the first training window the radar nowcast is verified over (its errors were calibrated on them).</summary>
    private const int NowcastDays = 60;

    private void Nowcast()
    {
        Report("rain nowcast: verifying", 1);
        double[] motionErrors = [0, 4, 8, 12, 13, 14, 15, 16];
        var variants = new List<(string Name, RadarNowcastErrors Errors)> { ("extrapolation only (no motion or intensity error)", RadarNowcastErrors.ExtrapolationOnly) };
        foreach (double motion in motionErrors)
        {
            var errors = new RadarNowcastErrors(motion, 0.3);
            string name = MarkdownReport.Invariant($"motion error {motion:F0} km/h, intensity error 0.3");
            variants.Add((errors == RadarNowcastErrors.Calibrated ? name + " (**calibrated: the hub's nowcast**)" : name, errors));
        }

        var rows = NowcastVerification.Run(_city, _options.Seed, _options.Start, NowcastDays, variants);
        _report.Heading("Rain nowcast: the radar nowcast the river gauges relay, verified");
        _report.Paragraph(MarkdownReport.Invariant($"The simulator publishes with every river gauge reading a radar nowcast of its local catchment's rain in each of the next six 10-minute intervals (`rain_nowcast_10` ... `rain_nowcast_60`, mm), as JMA's high-resolution precipitation nowcast gives a disaster office: the cells raining now moved on along their tracked motion, holding their intensity now. It misses cells that start later, does not know growth or decay, and its motion and intensity are off by the errors below. Verified over the first {NowcastDays} days (training period), nowcasts issued every 10 minutes; correlation over intervals with >= 0.1 mm in forecast or actual; CSI for >= 1 mm in 10 minutes (6 mm/h); lifetime: the lead where the fitted correlation falls to 1/e."));
        var header = new List<string> { "nowcast", "lifetime (min)" };
        header.AddRange(rows[0].Skill.Select(k => MarkdownReport.Invariant($"r / CSI {k.LeadMinutes} min")));
        _report.Table(header, rows.Select(r => (IReadOnlyList<string>)[r.Variant, MarkdownReport.F(r.LifetimeMinutes), .. r.Skill.Select(k => MarkdownReport.Invariant($"{k.Correlation:F2} / {k.Csi:F2}"))]));
        foreach (var r in rows)
        {
            _results.Add(MarkdownReport.Invariant($"rain nowcast, {r.Variant}: lifetime {r.LifetimeMinutes:F0} min; correlation {string.Join(", ", r.Skill.Select(k => k.Correlation.ToString("F2", CultureInfo.InvariantCulture)))} at 10-60 min"));
        }
    }

    private void Rivers(int totalDays)
    {
        Report("rivers: simulating", 2);
        var frame = CityHistory.Rivers(_city, _options.Seed, _options.Start, totalDays, _options.NowcastErrors);
        var forecaster = new RiverForecaster(_city, _options.Trainer, _options.Gbm, _options.CalmBins);
        var folds = Fold.Rolling(frame.Length, _options.TrainDays * 144, _options.TestDays * 144, _options.Folds);
        var progress = new Progress<string>(s => Report(s, 10));
        var backtest = forecaster.Backtest(frame, folds, progress);
        AddTraining(backtest.LastTrainSeconds);
        foreach (var model in backtest.Models)
        {
            model.Save(_options.ModelFolder);
        }

        _report.Heading("Rivers: level at every gauge, 10-120 minutes ahead");
        _report.Paragraph("One LightGbm model per horizon, pooled over every gauge (gauge size enters as features), predicting the change from now. Features include two rain nowcasts: the radar nowcast the gauges relay (`rain_nowcast_10` ... `_60`, verified above), over the local catchment until the horizon, in 30 and 60 minutes, its heaviest 10 minutes and over the upstream catchments; and the rain gauges' own field moved along the cells' motion (estimated at each origin by matching the field now with the field 20 minutes earlier moved by 8, 16 or 24 km/h eastward). The level models' rainfall-runoff forecast rains the radar nowcast (none after its hour). Storm periods: catchment rain in the last 3 h >= 1 mm, or the level at the origin or at the target time >= 0.2 m above the gauge's dry level (5th percentile).");
        _report.Scores(backtest.Scores, "m");
        _report.Paragraph("Threshold crossings (all four thresholds, every gauge, one event per threshold episode: re-armed after falling 0.1 m below). Scored event-based, as flood warning services verify warnings (NWS Instruction 10-1601, flash flood warnings: a warning is verified when the event occurs in its valid time; false alarm ratio = unverified warnings / warnings; lead time = event time - issue time of the warning in force). A warning is raised while the threshold is armed and the probability of reaching it at some horizon up to 120 min is at least the warning probability; it is valid for 120 min, and a forecast that still warns while it is in force renews it (one alert) rather than issuing another. An alert is a hit when the crossing comes while it is in force, false when 120 min pass after its last warning with no crossing. Lead: crossing time - the alert's first warning.");
        var levelWarned = backtest.LevelCrossings;
        string calibration = _options.CalmBins
            ? "Probabilities (diagnostic run, `--calm-bins`): residual percentiles as before the diagnosis, measured on the last 15 % of each training window, per uncertainty bin only."
            : MarkdownReport.Invariant($"Probabilities: residual percentiles cross-fitted over the whole training window ({RiverForecaster.CrossFitBlocks} blocks of time, each block's residuals from a model fitted on the others; the model kept is fitted on every row), per uncertainty bin and per size of the forecast change (edges {string.Join(", ", RiverForecaster.ChangeEdges.Select(e => e.ToString("F2", CultureInfo.InvariantCulture)))} m).");
        _report.Paragraph(MarkdownReport.Invariant($"The probabilities in this table come from the warning models: a second regression per horizon without the rainfall-runoff features (the level forecasts above keep them); the hub warns at the probability its training chose (below). {calibration} For comparison, the level models' own probabilities at {RiverForecaster.WarningProbability:F2}: {levelWarned.WarnedAtLeast30Minutes}/{levelWarned.Crossings} ({levelWarned.HitRate30:P0}) warned >= 30 min ahead, {levelWarned.Warned} warned at all, {levelWarned.FalseAlerts}/{levelWarned.Alerts} ({levelWarned.FalseAlarmRatio:P0}) false alerts."));
        CrossingTable(backtest.Crossings, "warning probability", null);
        var served = backtest.Served ?? backtest.Crossings.First(x => x.WarningProbability == RiverForecaster.WarningProbability);
        if (backtest.Choices.Count > 0)
        {
            _report.Paragraph(MarkdownReport.Invariant($"**The served warning probability is chosen on the training window alone.** Each origin's training forecasts its own 90 days out of fold (each of the {RiverForecaster.CrossFitBlocks} blocks of time by the cross-fit's warning models fitted on the other block), scores those warnings event-based at {RiverForecaster.CandidateProbabilities[0]:F2}-{RiverForecaster.CandidateProbabilities[^1]:F2} (steps of 0.05), and keeps the probability that comes closest to both targets at once: the largest min(warned >= 30 min / {RiverForecaster.TargetHitRate:P0}, true alerts / {1 - RiverForecaster.TargetFalseAlarmRatio:P0}). The test periods play no part in it. Per origin, training (out of fold) and then its test period:"));
            _report.Table(
                ["origin", "chosen probability", "training: warned >= 30 min ahead", "training: false alerts", "test: warned >= 30 min ahead", "test: false alerts"],
                backtest.Choices.Select((c, k) => (IReadOnlyList<string>)
                [
                    MarkdownReport.Invariant($"{k + 1}"), MarkdownReport.F(c.Probability),
                    MarkdownReport.Invariant($"{c.Training.WarnedAtLeast30Minutes}/{c.Training.Crossings} ({c.Training.HitRate30:P0})"),
                    MarkdownReport.Invariant($"{c.Training.FalseAlerts}/{c.Training.Alerts} ({c.Training.FalseAlarmRatio:P0})"),
                    k < backtest.ServedPerOrigin.Count ? MarkdownReport.Invariant($"{backtest.ServedPerOrigin[k].WarnedAtLeast30Minutes}/{backtest.ServedPerOrigin[k].Crossings} ({backtest.ServedPerOrigin[k].HitRate30:P0})") : "-",
                    k < backtest.ServedPerOrigin.Count ? MarkdownReport.Invariant($"{backtest.ServedPerOrigin[k].FalseAlerts}/{backtest.ServedPerOrigin[k].Alerts} ({backtest.ServedPerOrigin[k].FalseAlarmRatio:P0})") : "-",
                ]));
            _report.Paragraph(MarkdownReport.Invariant($"Served, every test period (each at its origin's probability): {served.WarnedAtLeast30Minutes}/{served.Crossings} ({served.HitRate30:P0}) warned >= 30 min ahead, {served.Warned} warned at all, {served.FalseAlerts}/{served.Alerts} ({served.FalseAlarmRatio:P0}) false alerts, median lead {served.MedianLeadMinutes:F0} min."));
            _report.Paragraph("The training window's out-of-fold warnings at every probability tried (the last origin's):");
            CrossingTable(backtest.Choices[^1].Candidates, "warning probability", null);
        }

        string[] thresholdNames = ["standby", "flood caution", "evacuation judgement", "flood danger"];
        _report.Paragraph("Per threshold, served:");
        CrossingTable(backtest.ByThreshold, "threshold", k => thresholdNames[k]);
        _report.Paragraph("The same warnings scored by the definition used before this round (warnings at most 30 min apart form one alert, so a warning renewed 40-110 min after the last, while that one is still valid, counted as another alert; warnings also raised just after a crossing, before the threshold re-armed):");
        CrossingTable(backtest.LegacyCrossings, "warning probability", null);
        double[] edges = [0.1, 0.3, 0.6];
        var shortfalls = served.FalseAlertShortfalls;
        int Between(double low, double high) => shortfalls.Count(d => d >= low && d < high);
        _report.Paragraph(MarkdownReport.Invariant(
            $"The served warnings' {served.FalseAlerts} false alerts, by how far the level stayed below the threshold warned of at its highest while the alert was in force (from its first warning to 120 min after its last): < 0.1 m {Between(double.MinValue, edges[0])}, 0.1-0.3 m {Between(edges[0], edges[1])}, 0.3-0.6 m {Between(edges[1], edges[2])}, >= 0.6 m {Between(edges[2], double.MaxValue)}; median {RiverForecaster.Median(shortfalls):F2} m."));
        Diagnosis(backtest, served);
        if (backtest.WorstStorm is { } worst && _plot(worst, Path.Combine(_options.ReportFolder, "river-worst-storm.png")))
        {
            _report.Image("worst storm", "river-worst-storm.png");
        }

        var s60 = backtest.Scores.First(s => s.HorizonMinutes == 60 && s.Subset == "storm");
        _results.Add(MarkdownReport.Invariant($"rivers, storm periods, 60 min: RMSE {s60.Model.Rmse:F3} m vs persistence {s60.Persistence.Rmse:F3} m (ratio {s60.Model.Rmse / s60.Persistence.Rmse:F2}, need <= 0.5); NSE {s60.Model.Nse:F3} (need >= 0.9)"));
        _results.Add(MarkdownReport.Invariant($"rivers, level models' own probabilities (rainfall-runoff features) at {RiverForecaster.WarningProbability:F2}: crossings warned >= 30 min ahead {levelWarned.WarnedAtLeast30Minutes}/{levelWarned.Crossings} = {levelWarned.HitRate30:P0}; false alerts {levelWarned.FalseAlerts}/{levelWarned.Alerts} = {levelWarned.FalseAlarmRatio:P0}"));
        _results.Add(MarkdownReport.Invariant($"rivers, served warnings (probability chosen on each training window out of fold: {string.Join(", ", backtest.Choices.Select(c => c.Probability.ToString("F2", CultureInfo.InvariantCulture)))}): crossings warned >= 30 min ahead {served.WarnedAtLeast30Minutes}/{served.Crossings} = {served.HitRate30:P0} (need >= 80%); false alerts {served.FalseAlerts}/{served.Alerts} = {served.FalseAlarmRatio:P0} (need <= 20%)"));
        foreach (var x in backtest.Crossings)
        {
            _results.Add(MarkdownReport.Invariant($"rivers, warning models, warning probability {x.WarningProbability:F2}: crossings warned >= 30 min ahead {x.WarnedAtLeast30Minutes}/{x.Crossings} = {x.HitRate30:P0} (need >= 80%); false alerts {x.FalseAlerts}/{x.Alerts} = {x.FalseAlarmRatio:P0} (need <= 20%)"));
        }

        foreach (var x in backtest.LegacyCrossings)
        {
            _results.Add(MarkdownReport.Invariant($"rivers, warning models, warning probability {x.WarningProbability:F2}, previous alert definition: crossings warned >= 30 min ahead {x.WarnedAtLeast30Minutes}/{x.Crossings} = {x.HitRate30:P0}; false alerts {x.FalseAlerts}/{x.Alerts} = {x.FalseAlarmRatio:P0}"));
        }
    }

    // The served warnings' false alerts and late or missed crossings, sorted into causes (WarningDiagnosis).
    private void Diagnosis(RiverBacktest backtest, CrossingScores served)
    {
        var alerts = backtest.FalseAlerts;
        var misses = backtest.Misses;
        _report.Paragraph("**Why warnings fail (diagnosis).**");
        int overconfident = alerts.Count(WarningDiagnosis.Overconfident);
        _report.Paragraph(MarkdownReport.Invariant(
            $"Every false alert of the served warnings ({alerts.Count}) and every crossing not warned 30 min ahead ({misses.Count} of {served.Crossings}), sorted into causes, the first that fits. The false alerts came in {WarningDiagnosis.Storms(alerts.Select(a => a.Issued))} storms (first warnings more than 3 h apart start another): one storm passing near the city raises alerts at many gauges and thresholds at once. {overconfident} of them were issued with p >= 0.95 and a 10-90 % interval narrower than a quarter of the rise they forecast; median at issue: forecast rise {RiverForecaster.Median(alerts.Select(a => a.ForecastRise)):F2} m, interval width {RiverForecaster.Median(alerts.Select(a => a.IntervalWidth)):F2} m, probability {RiverForecaster.Median(alerts.Select(a => a.Probability)):F2}."));
        _report.Table(
            ["false alert: cause", "count", "median shortfall (m)", "median catchment rain in force (mm)", "median forecast rise at issue (m)"],
            alerts.GroupBy(WarningDiagnosis.Cause).OrderByDescending(x => x.Count()).Select(x => (IReadOnlyList<string>)
            [
                x.Key, x.Count().ToString(CultureInfo.InvariantCulture), MarkdownReport.F(RiverForecaster.Median(x.Select(a => a.Shortfall))),
                MarkdownReport.F(RiverForecaster.Median(x.Select(a => a.RainInForce))), MarkdownReport.F(RiverForecaster.Median(x.Select(a => a.ForecastRise))),
            ]));
        _report.Table(
            ["crossing not warned 30 min ahead: cause", "count", "warned < 30 min ahead", "median rise in its last 30 min (m)", "median rain in its last 30 min (mm)", "median rain in the hour before that (mm)", "median radar nowcast 30 min before, next 30 min (mm)", "median 30-min forecast's shortfall 30 min before (m)"],
            misses.GroupBy(WarningDiagnosis.Cause).OrderByDescending(x => x.Count()).Select(x => (IReadOnlyList<string>)
            [
                x.Key, x.Count().ToString(CultureInfo.InvariantCulture), x.Count(m => m.LeadMinutes is not null).ToString(CultureInfo.InvariantCulture),
                MarkdownReport.F(RiverForecaster.Median(x.Select(m => m.RiseLast30))), MarkdownReport.F(RiverForecaster.Median(x.Select(m => m.RainLast30))),
                MarkdownReport.F(RiverForecaster.Median(x.Select(m => m.RainHourBefore30))), MarkdownReport.F(RiverForecaster.Median(x.Select(m => m.RadarNext30))),
                MarkdownReport.F(RiverForecaster.Median(x.Select(m => m.Forecast30))),
            ]));
        _results.Add(MarkdownReport.Invariant($"rivers, diagnosis of the served warnings: false alerts by cause: {string.Join("; ", alerts.GroupBy(WarningDiagnosis.Cause).OrderByDescending(x => x.Count()).Select(x => $"{x.Key} {x.Count()}"))}; crossings not warned 30 min ahead by cause: {string.Join("; ", misses.GroupBy(WarningDiagnosis.Cause).OrderByDescending(x => x.Count()).Select(x => $"{x.Key} {x.Count()}"))}"));
    }

    // One row per score; the first column is the row's label (null: its warning probability).
    private void CrossingTable(IReadOnlyList<CrossingScores> rows, string first, Func<int, string>? label) => _report.Table(
        [first, "crossings", "warned >= 30 min ahead", "warned at all", "alerts", "false alerts", "median lead (min)"],
        rows.Select((x, k) => (IReadOnlyList<string>)
        [
            label?.Invoke(k) ?? MarkdownReport.F(x.WarningProbability), x.Crossings.ToString(CultureInfo.InvariantCulture),
            MarkdownReport.Invariant($"{x.WarnedAtLeast30Minutes} ({x.HitRate30:P0})"), x.Warned.ToString(CultureInfo.InvariantCulture),
            x.Alerts.ToString(CultureInfo.InvariantCulture), MarkdownReport.Invariant($"{x.FalseAlerts} ({x.FalseAlarmRatio:P0})"), MarkdownReport.F(x.MedianLeadMinutes),
        ]));

    private void Sewers(int totalDays)
    {
        Report("sewers: simulating manholes and rain gauges", 85);
        var frame = CityHistory.Sewers(_city, _options.Seed, _options.Start, totalDays, SewerManholesPerDistrict);
        var forecaster = new SewerForecaster(_city, _options.Trainer, _options.Gbm);
        var folds = Fold.Rolling(frame.Length, _options.TrainDays * 288, _options.TestDays * 288, _options.Folds);
        var backtest = forecaster.Backtest(frame, folds, new Progress<string>(s => Report(s, 90)));
        AddTraining(backtest.LastTrainSeconds);
        foreach (var model in backtest.Models)
        {
            model.Save(_options.ModelFolder);
        }

        int manholes = _city.SewerDistricts.Sum(d => Math.Min(SewerManholesPerDistrict, d.Manholes.Count));
        _report.Heading("Sewers: manhole level 10 and 30 minutes ahead");
        _report.Paragraph(MarkdownReport.Invariant($"One LightGbm model per horizon, pooled over {manholes} manholes (the first {SewerManholesPerDistrict} of each of the {_city.SewerDistricts.Count} districts; the pipe enters as features), on 5-minute rows, predicting the change from now; a surcharged pipe counts as full (its level is the diameter). Rain at the cover is interpolated from the rain gauges (inverse distance, three nearest); the rain still to come is nowcast by reading the gauges' rain now at the points upwind that will be over the cover by the target time (cells drifting east at 8, 16 and 24 km/h); and the radar nowcast the nearest river gauge relays for its catchment (`rain_nowcast_10` ... `_60`: until the horizon, in the next 10 and 30 minutes, its heaviest 10 minutes). Rain periods: at least {0.5} mm at the cover from an hour before the origin to the target time."));
        _report.Scores(backtest.Scores, "m");
        _report.Paragraph(MarkdownReport.Invariant($"Surcharge onsets (the pipe fills) in the test periods: {backtest.SurchargeOnsets}; forecast by the 30-minute model (within 5% of full) 10-30 minutes before: {backtest.SurchargeHits}."));
        foreach (var s in backtest.Scores)
        {
            _results.Add(MarkdownReport.Invariant($"sewers, {s.Subset}, {s.HorizonMinutes} min: MAE {s.Model.Mae:F4} m vs persistence {s.Persistence.Mae:F4} and historical average {s.HistoricalAverage.Mae:F4}; RMSE {s.Model.Rmse:F4} vs persistence {s.Persistence.Rmse:F4} (ratio {s.Model.Rmse / s.Persistence.Rmse:F2}); NSE {s.Model.Nse:F3}"));
        }
    }

    private void Traffic(int totalDays)
    {
        Report("traffic: simulating detectors", 40);
        var frame = CityHistory.Traffic(_city, _options.Seed, _options.Start, totalDays);
        var forecaster = new TrafficForecaster(_city, _options.Trainer, _options.Gbm);
        var folds = Fold.Rolling(frame.Length, _options.TrainDays * 288, _options.TestDays * 288, _options.Folds);
        var backtest = forecaster.Backtest(frame, folds, new Progress<string>(s => Report(s, 45)));
        AddTraining(backtest.LastTrainSeconds);
        foreach (var row in backtest.Models)
        {
            foreach (var model in row)
            {
                model.Save(_options.ModelFolder);
            }
        }

        _report.Heading("Traffic: detector volume, speed and queue, 15-60 minutes ahead");
        _report.Paragraph("Targets are 15-minute means per lane (volume in vehicles per minute). One model per target and horizon, pooled over every detector, predicting the change from the last 15-minute mean. Features include the last 15-minute means and the hour before, the same slot last week, the time-of-week average, a day profile pooled over every weekday (or weekend day) of the window, and today's demand level against that profile so far (this lane, and pooled over the approach's lanes), with the target the profile and today's level expect. Historical average: the time-of-week mean of the training window.");
        _report.Scores(backtest.Scores, "see target");
        foreach (string target in TrafficFeatures.Targets)
        {
            foreach (int h in new[] { 15, 60 })
            {
                var s = backtest.Scores.First(x => x.Target == "traffic." + target && x.HorizonMinutes == h && x.Subset == "all");
                double gain = 1 - (s.Model.Mae / s.HistoricalAverage.Mae);
                _results.Add(MarkdownReport.Invariant($"traffic {target}, {h} min: MAE {s.Model.Mae:F3} vs historical average {s.HistoricalAverage.Mae:F3} ({gain:P0} below; need >= {(h == 15 ? 30 : 15)}%)"));
            }
        }

        if (_options.Parts.Contains("signals"))
        {
            var last = folds[^1];
            var evaluation = new SignalEvaluation(_city, _options.Seed);
            var result = evaluation.Run(frame, last.TrainFrom, last.TrainTo, backtest.Models[0][0], last.TestFrom, last.TestTo, maxDays: 5, new Progress<string>(s => Report(s, 60)));
            _report.Heading("Signals: Webster timings from forecast flows, closed loop");
            _report.Paragraph("Every 15 minutes from 06:45 to 10:00 each intersection is re-timed by Webster (L = 10 s, cycle 40-180 s) from the 15-minute volume forecast of its critical lane; the simulator runs the same morning with the fixed plan and with these timings. Main approach: delay measured in the simulator (queued vehicle-seconds / vehicles). Conflicting street: not simulated; its flow ratio is the one that makes the fixed plan Webster-proportional at the historical peak, following the main approach's daily rhythm, and its delay is Webster's formula.");
            _report.Table(
                ["weekday mornings", "subset", "fixed plan (s/veh)", "Webster from forecasts (s/veh)", "change"],
                [
                    [result.Days.ToString(CultureInfo.InvariantCulture), "main approach (simulated)", MarkdownReport.F(result.FixedMain), MarkdownReport.F(result.WebsterMain), MarkdownReport.Invariant($"{(result.WebsterMain / result.FixedMain) - 1:P0}")],
                    [result.Days.ToString(CultureInfo.InvariantCulture), "conflicting street (Webster's formula)", MarkdownReport.F(result.FixedCross), MarkdownReport.F(result.WebsterCross), MarkdownReport.Invariant($"{(result.WebsterCross / result.FixedCross) - 1:P0}")],
                    [result.Days.ToString(CultureInfo.InvariantCulture), "both", MarkdownReport.F(result.FixedAll), MarkdownReport.F(result.WebsterAll), MarkdownReport.Invariant($"{(result.WebsterAll / result.FixedAll) - 1:P0}")],
                ]);
            _results.Add(MarkdownReport.Invariant($"signals, weekday 07-10 closed loop over {result.Days} held-out mornings: main approach {result.FixedMain:F1} -> {result.WebsterMain:F1} s/veh ({1 - (result.WebsterMain / result.FixedMain):P0} lower); with the modelled conflicting street {result.FixedAll:F1} -> {result.WebsterAll:F1} s/veh ({1 - (result.WebsterAll / result.FixedAll):P0} lower); need >= 15%"));
        }
    }

    private void Crowding(int totalDays)
    {
        Report("crowding: simulating car loads", 70);
        var days = CrowdingForecaster.Weekdays(_city, _options.Seed, _options.Start, totalDays);
        int trainDays = _options.TrainDays * 5 / 7;
        int testDays = Math.Max(1, _options.TestDays * 5 / 7);
        var folds = Fold.Rolling(days.Count, trainDays, testDays, _options.Folds);
        var forecaster = new CrowdingForecaster(_city, _options.Trainer, _options.Gbm);
        var backtest = forecaster.Backtest(days, folds, new Progress<string>(s => Report(s, 80)));
        AddTraining(backtest.LastTrainSeconds);
        backtest.Model.Save(_options.ModelFolder);
        _report.Heading("Crowding: per-car load, day ahead and nowcast");
        _report.Paragraph("Load factor (乗車率) in % of the car's capacity at every departure of every instrumented car on weekdays. Day ahead: persistence = the same departure on the previous weekday, historical average = its mean over the training window. Nowcast: the rest of a running trip, from origins at every third departure.");
        _report.Scores(backtest.Scores, "pp of capacity");
        if (backtest.BusiestTrain is { } plot && _plot(plot, Path.Combine(_options.ReportFolder, "crowding-busiest-train.png")))
        {
            _report.Image("busiest train", "crowding-busiest-train.png");
        }

        var dayAhead = backtest.Scores[0];
        var nowcast = backtest.Scores[^1];
        _results.Add(MarkdownReport.Invariant($"crowding day-ahead per-car MAE {dayAhead.Model.Mae:F2} pp (previous weekday {dayAhead.Persistence.Mae:F2}, historical average {dayAhead.HistoricalAverage.Mae:F2}; need <= 8)"));
        _results.Add(MarkdownReport.Invariant($"crowding nowcast (rest of trip) MAE {nowcast.Model.Mae:F2} pp (day-ahead alone {nowcast.HistoricalAverage.Mae:F2}, load now {nowcast.Persistence.Mae:F2}; need <= 4)"));
    }

    private void AddTraining(double seconds)
    {
        _finalSeconds += seconds;
        _finalCpuSeconds += TrainingClock.LastCpuSeconds;
    }
}
