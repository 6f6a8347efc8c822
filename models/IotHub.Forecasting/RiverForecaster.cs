using System.Globalization;
using IotHub.City;
using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>River level forecasts: one pooled model per horizon for every gauge, backtests and threshold warnings.</summary>
internal sealed class RiverForecaster
{
    public static readonly int[] HorizonMinutes = [10, 30, 60, 90, 120];

    /// <summary>
    /// The warning probability when training chose none (<see cref="ChooseWarningProbability"/> needs the cross-fit's models; a
    /// diagnostic run with calm bins has none) and the one the level models' own warnings are compared at.
    /// </summary>
    public const double WarningProbability = 0.5;

    /// <summary>Warning probabilities training tries on the window's out-of-fold forecasts (<see cref="ChooseWarningProbability"/>).</summary>
    internal static readonly double[] CandidateProbabilities = [.. Enumerable.Range(2, 17).Select(k => Math.Round(k * 0.05, 2))];

    /// <summary>Fewest crossings in the training window's out-of-fold warnings to choose the warning probability on; fewer keep <see cref="WarningProbability"/>.</summary>
    internal const int MinCrossingsToChoose = 10;

    /// <summary>Acceptance 1c: share of crossings to warn of 30 minutes or more ahead.</summary>
    internal const double TargetHitRate = 0.8;

    /// <summary>Acceptance 1d: the highest share of false alerts.</summary>
    internal const double TargetFalseAlarmRatio = 0.2;

    /// <summary>Warning probabilities the backtest scores, to show the trade-off between lead and false alarms.</summary>
    public static readonly double[] WarningProbabilities = [0.3, 0.5, 0.7, 0.85];

    /// <summary>
    /// Sizes of the predicted change (m) that split the river models' uncertainty bins: the residuals of forecasts of a big rise
    /// are measured apart from those of a steady river, so a forecast rise of 1 m is not given the centimetre-wide interval of calm
    /// weather (which made warnings certain, p = 0.995, of rises that did not come).
    /// </summary>
    internal static readonly double[] ChangeEdges = [0.05, 0.2, 0.5];

    /// <summary>
    /// Blocks of time the river models' residuals are cross-fitted over (<see cref="HorizonModel.Train"/>): the residuals of storms
    /// come from the whole window's storms, not the one or two of its last 15 %.
    /// </summary>
    internal const int CrossFitBlocks = 2;

    private readonly RiverNetwork _network;
    private readonly TrainerKind _trainer;
    private readonly GbmOptions _options;

    private readonly bool _calmBins;

    /// <summary>
    /// A forecaster for <paramref name="city"/>'s gauges. With <paramref name="calmBins"/> (a diagnostic) the residuals are
    /// measured as before the diagnosis: on the window's last 15 %, per uncertainty bin only.
    /// </summary>
    public RiverForecaster(CityScenario city, TrainerKind trainer, GbmOptions options, bool calmBins = false)
    {
        _network = new RiverNetwork(city);
        _trainer = trainer;
        _options = options;
        _calmBins = calmBins;
    }

    internal RiverNetwork Network => _network;

    /// <summary>Target of the level models (with the rainfall-runoff features).</summary>
    public const string LevelTarget = "river.level";

    /// <summary>Target of the models whose threshold probabilities raise warnings.</summary>
    public const string WarningTarget = "river.warning";

    /// <summary>
    /// Trains on rows [from, to) of <paramref name="frame"/>: one level model per horizon (<see cref="LevelTarget"/>), then one
    /// warning model per horizon (<see cref="WarningTarget"/>), reporting each fit (0-4 level, 5-9 warning) before it starts.
    /// </summary>
    public HorizonModel[] Train(SeriesFrame frame, int from, int to, IProgress<int>? horizonStarted = null, CancellationToken cancellationToken = default) =>
        Train(new RiverFeatures(_network, frame), frame, from, to, horizonStarted, cancellationToken);

    /// <summary>
    /// Trains with features already built over <paramref name="frame"/> (they hold no rows after an origin). The level models keep
    /// the rainfall-runoff features; the warning models leave them out: they warn more crossings 30 minutes ahead (the sharper level
    /// models' narrower residuals give an uncertain rise an hour out a lower probability). Every card carries <see cref="WarningProbability"/>.
    /// </summary>
    internal HorizonModel[] Train(RiverFeatures features, SeriesFrame frame, int from, int to, IProgress<int>? horizonStarted = null, CancellationToken cancellationToken = default) =>
        TrainAndChoose(features, frame, from, to, horizonStarted, cancellationToken).Models;

    /// <summary>
    /// <see cref="Train(RiverFeatures, SeriesFrame, int, int, IProgress{int}?, CancellationToken)"/>, also returning how the warning
    /// probability on the cards was chosen (null when the models were not cross-fitted: then it is <see cref="WarningProbability"/>).
    /// </summary>
    internal (HorizonModel[] Models, WarningChoice? Choice) TrainAndChoose(RiverFeatures features, SeriesFrame frame, int from, int to, IProgress<int>? horizonStarted = null, CancellationToken cancellationToken = default)
    {
        var level = Fit(features, frame, from, to, LevelTarget, 0, horizonStarted, cancellationToken);
        var plainFeatures = new RiverFeatures(_network, frame, physics: false);
        var warning = Fit(plainFeatures, frame, from, to, WarningTarget, HorizonMinutes.Length, horizonStarted, cancellationToken);
        var choice = warning.All(m => m.OutOfFoldModels is not null) ? ChooseWarningProbability(warning, plainFeatures, frame, from, to) : null;
        double probability = choice?.Probability ?? WarningProbability;
        return ([.. level.Concat(warning).Select(m => m.WithCard(m.Card with { WarningProbability = probability }))], choice);
    }

    /// <summary>
    /// Chooses the warning probability on the training window alone: every gauge's warnings over rows [from, to) are forecast out
    /// of fold (each block of time by the cross-fit model fitted on the other blocks) and scored event-based at each of
    /// <see cref="CandidateProbabilities"/>; the one chosen comes closest to both targets at once, maximising the smaller of
    /// (share warned 30 minutes ahead / <see cref="TargetHitRate"/>) and (share of true alerts / (1 - <see cref="TargetFalseAlarmRatio"/>));
    /// a tie goes to the lower probability (more warning). With fewer than <see cref="MinCrossingsToChoose"/> crossings it keeps
    /// <see cref="WarningProbability"/>.
    /// </summary>
    internal WarningChoice ChooseWarningProbability(HorizonModel[] warning, RiverFeatures features, SeriesFrame frame, int from, int to)
    {
        int gauges = _network.Gauges.Length;
        int first = from + RiverFeatures.History;
        var predicted = ForecastLevels(warning, features, frame, first, to, outOfFold: true);

        var scores = new List<CrossingScores>[CandidateProbabilities.Length];
        for (int c = 0; c < scores.Length; c++)
        {
            scores[c] = [];
        }

        var bins = Bins(features, frame, first, to);
        for (int g = 0; g < gauges; g++)
        {
            var level = frame[RiverColumns.Level(_network.Gauges[g].DeviceId)];
            foreach (double threshold in _network.Gauges[g].Thresholds.Levels())
            {
                var probability = new double[frame.Length];
                for (int i = first; i < to; i++)
                {
                    probability[i] = ProbabilityAtLeast(warning, predicted, bins, level, g, i, threshold);
                }

                for (int c = 0; c < scores.Length; c++)
                {
                    scores[c].Add(WarningVerification.Score(level, i => probability[i], threshold, first, to, CandidateProbabilities[c], AlertRule.EventBased));
                }
            }
        }

        var totals = scores.Select((x, c) => WarningVerification.Total(x, CandidateProbabilities[c])).ToArray();
        if (totals[0].Crossings < MinCrossingsToChoose)
        {
            return new WarningChoice(WarningProbability, totals.First(t => t.WarningProbability == WarningProbability), totals);
        }

        var best = totals[0];
        foreach (var t in totals)
        {
            best = Balance(t) > Balance(best) ? t : best;
        }

        return new WarningChoice(best.WarningProbability, best, totals);
    }

    /// <summary>How near <paramref name="scores"/> come to both warning targets: the smaller of the two shares over its target (1: both met).</summary>
    internal static double Balance(CrossingScores scores) =>
        scores.Crossings == 0 ? 0 : Math.Min(scores.HitRate30 / TargetHitRate, (1 - scores.FalseAlarmRatio) / (1 - TargetFalseAlarmRatio));

    /// <summary>Name of the level model of horizon <paramref name="minutes"/>.</summary>
    public static string LevelName(int minutes) => string.Create(CultureInfo.InvariantCulture, $"river-level-{minutes:000}min");

    /// <summary>Name of the warning model of horizon <paramref name="minutes"/>.</summary>
    public static string WarningName(int minutes) => string.Create(CultureInfo.InvariantCulture, $"river-warning-{minutes:000}min");

    /// <summary>The models of <paramref name="target"/> among <paramref name="models"/>, by horizon.</summary>
    internal static HorizonModel[] Of(HorizonModel[] models, string target) => [.. models.Where(m => m.Card.Target == target).OrderBy(m => m.Card.HorizonMinutes)];

    private HorizonModel[] Fit(RiverFeatures features, SeriesFrame frame, int from, int to, string target, int firstFit, IProgress<int>? started, CancellationToken cancellationToken)
    {
        var models = new HorizonModel[HorizonMinutes.Length];
        for (int h = 0; h < HorizonMinutes.Length; h++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            started?.Report(firstFit + h);
            int steps = HorizonMinutes[h] / 10;
            var rows = new TrainingRows();
            for (int g = 0; g < _network.Gauges.Length; g++)
            {
                var level = frame[RiverColumns.Level(_network.Gauges[g].DeviceId)];
                for (int i = from + RiverFeatures.History; i + steps < to; i++)
                {
                    int bin = features.Bin(g, i);

                    // Dry weather is most of the record and teaches little: keep one row in four.
                    if (bin == 0 && i % 4 != 0)
                    {
                        continue;
                    }

                    var f = features.Build(g, i, steps);
                    double label = level[i + steps] - level[i];
                    if (f is null || double.IsNaN(label))
                    {
                        continue;
                    }

                    rows.Add(f, label, bin, i);
                }
            }

            var card = new ModelCard
            {
                Name = target == LevelTarget ? LevelName(HorizonMinutes[h]) : WarningName(HorizonMinutes[h]),
                Target = target,
                Unit = "m",
                HorizonMinutes = HorizonMinutes[h],
                Features = features.FeatureNames,
                TrainingFrom = frame.TimeAt(from),
                TrainingTo = frame.TimeAt(to),
                TrainingRows = rows.Count,
                Trainer = "",
                ResidualPercentiles = [],
                BinRule = "0: dry; 1: catchment rain in 3 h >= 1 mm or level moved >= 0.05 m in 1 h; 2: catchment rain in 1 h >= 5 mm, rise >= 0.1 m in 30 min, or >= 3 mm in 30 min at the gauges to the west; each split by the predicted change (ChangeEdges)",
                ChangeEdges = _calmBins ? [] : ChangeEdges,
            };
            models[h] = HorizonModel.Train(new MLContext(seed: 1), card, rows, _trainer, _options, bins: 3, _calmBins ? 0 : CrossFitBlocks);
        }

        return models;
    }

    /// <summary>Forecasts for every gauge and horizon from every origin in [from, to): [horizon][gauge][row] (NaN outside).</summary>
    public (double[][][] Level, int[][] Bin) Predict(HorizonModel[] models, SeriesFrame frame, int from, int to) =>
        Predict(models, new RiverFeatures(_network, frame), frame, from, to);

    /// <summary>Forecasts with features already built over <paramref name="frame"/>.</summary>
    internal (double[][][] Level, int[][] Bin) Predict(HorizonModel[] models, RiverFeatures features, SeriesFrame frame, int from, int to)
    {
        return (ForecastLevels(models, features, frame, from, to, outOfFold: false), Bins(features, frame, Math.Max(from, RiverFeatures.History), to));
    }

    /// <summary>Each gauge's uncertainty bin at rows [<paramref name="start"/>, <paramref name="to"/>) of the frame (0 elsewhere).</summary>
    private int[][] Bins(RiverFeatures features, SeriesFrame frame, int start, int to)
    {
        var bins = new int[_network.Gauges.Length][];
        for (int g = 0; g < bins.Length; g++)
        {
            bins[g] = new int[frame.Length];
            for (int i = start; i < to; i++)
            {
                bins[g][i] = features.Bin(g, i);
            }
        }

        return bins;
    }

    /// <summary>
    /// Every gauge's forecast level per horizon model at rows [<paramref name="from"/>, <paramref name="to"/>) (NaN where the
    /// features cannot be built): each row by the model itself, or with <paramref name="outOfFold"/> by the cross-fit model
    /// that was not fitted on that row's block of time.
    /// </summary>
    private double[][][] ForecastLevels(HorizonModel[] models, RiverFeatures features, SeriesFrame frame, int from, int to, bool outOfFold)
    {
        int gauges = _network.Gauges.Length;
        var result = new double[models.Length][][];
        for (int h = 0; h < models.Length; h++)
        {
            int steps = models[h].Card.HorizonMinutes / 10;
            result[h] = new double[gauges][];
            var batch = new List<float[]>();
            var where = new List<(int Gauge, int Row)>();
            for (int g = 0; g < gauges; g++)
            {
                result[h][g] = new double[frame.Length];
                Array.Fill(result[h][g], double.NaN);
                for (int i = from; i < to; i++)
                {
                    if (features.Build(g, i, steps) is { } f)
                    {
                        batch.Add(f);
                        where.Add((g, i));
                    }
                }
            }

            var deltas = outOfFold
                ? models[h].OutOfFoldModels!.Predict(batch, [.. where.Select(w => (long)w.Row)])
                : models[h].PredictBatch(batch);
            for (int n = 0; n < deltas.Length; n++)
            {
                var (g, i) = where[n];
                result[h][g][i] = features.Level(g, i) + deltas[n];
            }
        }

        return result;
    }

    /// <summary>Rolling-origin backtest; returns the scores and the models of the last fold (trained on the most recent window).</summary>
    public RiverBacktest Backtest(SeriesFrame frame, Fold[] folds, IProgress<string>? progress)
    {
        int gauges = _network.Gauges.Length;
        var actual = new List<double>[HorizonMinutes.Length];
        var model = new List<double>[HorizonMinutes.Length];
        var persistence = new List<double>[HorizonMinutes.Length];
        var average = new List<double>[HorizonMinutes.Length];
        var storm = new List<bool>[HorizonMinutes.Length];
        for (int h = 0; h < HorizonMinutes.Length; h++)
        {
            actual[h] = [];
            model[h] = [];
            persistence[h] = [];
            average[h] = [];
            storm[h] = [];
        }

        var levelCrossings = new List<CrossingScores>();
        var falseAlertFacts = new List<FalseAlertFacts>();
        var missedFacts = new List<MissedCrossingFacts>();
        var byThreshold = new List<CrossingScores>[4];
        for (int k = 0; k < byThreshold.Length; k++)
        {
            byThreshold[k] = [];
        }

        var served = new List<CrossingScores>();
        var servedPerOrigin = new List<CrossingScores>();
        var choices = new List<WarningChoice>();
        var crossings = new List<CrossingScores>[WarningProbabilities.Length];
        var legacy = new List<CrossingScores>[WarningProbabilities.Length];
        for (int p = 0; p < crossings.Length; p++)
        {
            crossings[p] = [];
            legacy[p] = [];
        }

        HorizonModel[] last = [];
        double trainSeconds = 0;
        PlotSeries? worst = null;
        double worstRatio = double.MinValue;
        var features = new RiverFeatures(_network, frame);
        var plainFeatures = new RiverFeatures(_network, frame, physics: false);
        foreach (var fold in folds)
        {
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"rivers: training fold ending {frame.TimeAt(fold.TrainTo):yyyy-MM-dd}"));
            var clock = TrainingClock.Start();
            (last, var choice) = TrainAndChoose(new RiverFeatures(_network, frame), frame, fold.TrainFrom, fold.TrainTo);
            trainSeconds = clock.Stop();
            if (choice is not null)
            {
                choices.Add(choice);
            }
            var level = Of(last, LevelTarget);
            var warning = Of(last, WarningTarget);
            double warnAt = warning[0].Card.WarningProbability ?? WarningProbability;
            int servedBefore = served.Count;
            var (predicted, bins) = Predict(level, features, frame, fold.TestFrom, fold.TestTo);
            var (warned, _) = Predict(warning, RiverFeatures.UsesPhysics(warning[0].Card.Features) ? features : plainFeatures, frame, fold.TestFrom, fold.TestTo);
            for (int g = 0; g < gauges; g++)
            {
                var observed = frame[RiverColumns.Level(_network.Gauges[g].DeviceId)];
                var slotMean = TimeOfWeekMean(frame, observed, fold.TrainFrom, fold.TrainTo);
                double dry = Percentile(observed, fold.TrainFrom, fold.TrainTo, 0.05);
                for (int h = 0; h < HorizonMinutes.Length; h++)
                {
                    int steps = HorizonMinutes[h] / 10;
                    for (int i = fold.TestFrom; i + steps < fold.TestTo; i++)
                    {
                        double p = predicted[h][g][i];
                        double a = observed[i + steps];
                        if (double.IsNaN(p) || double.IsNaN(a))
                        {
                            continue;
                        }

                        actual[h].Add(a);
                        model[h].Add(p);
                        persistence[h].Add(observed[i]);
                        average[h].Add(slotMean[SlotOfWeek(frame, i + steps)]);
                        storm[h].Add(features.CatchmentRain3h(g, i) >= 1 || observed[i] - dry >= 0.2 || a - dry >= 0.2);
                    }
                }

                int testFrom = fold.TestFrom + RiverFeatures.History;
                var servedPerThreshold = Crossings(warning, warned, bins, observed, g, testFrom, fold.TestTo, warnAt, AlertRule.EventBased).ToArray();
                served.AddRange(servedPerThreshold);
                for (int k = 0; k < servedPerThreshold.Length; k++)
                {
                    byThreshold[k].Add(servedPerThreshold[k]);
                }

                for (int p = 0; p < WarningProbabilities.Length; p++)
                {
                    crossings[p].AddRange(Crossings(warning, warned, bins, observed, g, testFrom, fold.TestTo, WarningProbabilities[p], AlertRule.EventBased));
                    legacy[p].AddRange(Crossings(warning, warned, bins, observed, g, testFrom, fold.TestTo, WarningProbabilities[p], AlertRule.Legacy));
                }

                var (falseFacts, missFacts) = Diagnose(frame, features, warning, warned, bins, observed, dry, g, testFrom, fold.TestTo, warnAt);
                falseAlertFacts.AddRange(falseFacts);
                missedFacts.AddRange(missFacts);
                levelCrossings.AddRange(Crossings(level, predicted, bins, observed, g, testFrom, fold.TestTo, WarningProbability, AlertRule.EventBased));
                var (ratio, plot) = StormPlot(frame, features, level, predicted, bins, observed, g, fold);
                if (ratio > worstRatio)
                {
                    worstRatio = ratio;
                    worst = plot;
                }
            }

            servedPerOrigin.Add(WarningVerification.Total(served[servedBefore..], warnAt));
        }

        var scores = new List<HorizonScores>();
        for (int h = 0; h < HorizonMinutes.Length; h++)
        {
            scores.Add(Score("river.level", HorizonMinutes[h], actual[h], model[h], persistence[h], average[h], null, "all"));
            scores.Add(Score("river.level", HorizonMinutes[h], actual[h], model[h], persistence[h], average[h], storm[h], "storm"));
        }

        var totals = new CrossingScores[WarningProbabilities.Length];
        var legacyTotals = new CrossingScores[WarningProbabilities.Length];
        for (int p = 0; p < totals.Length; p++)
        {
            totals[p] = WarningVerification.Total(crossings[p], WarningProbabilities[p]);
            legacyTotals[p] = WarningVerification.Total(legacy[p], WarningProbabilities[p]);
        }

        for (int h = 0; h < last.Length; h++)
        {
            if (last[h].Card.Target != LevelTarget)
            {
                continue;
            }

            var s = scores.First(x => x.HorizonMinutes == last[h].Card.HorizonMinutes && x.Subset == "storm");
            last[h] = last[h].WithCard(last[h].Card with
            {
                Metrics = new Dictionary<string, ForecastMetrics>(StringComparer.Ordinal)
                {
                    ["model"] = s.Model,
                    ["persistence"] = s.Persistence,
                    ["historical-average"] = s.HistoricalAverage,
                },
            });
        }

        double servedProbability = choices.Count > 0 ? choices.Average(c => c.Probability) : WarningProbability;
        return new RiverBacktest(scores, totals, legacyTotals, [.. byThreshold.Select(b => WarningVerification.Total(b, servedProbability))], WarningVerification.Total(levelCrossings, WarningProbability), worst, last, trainSeconds)
        {
            Served = WarningVerification.Total(served, servedProbability),
            ServedPerOrigin = servedPerOrigin,
            Choices = choices,
            FalseAlerts = falseAlertFacts,
            Misses = missedFacts,
        };
    }

    /// <summary>
    /// The false alerts and the crossings not warned 30 minutes ahead of gauge <paramref name="g"/> over rows [from, to) at
    /// <paramref name="warnAt"/>, with the facts <see cref="WarningDiagnosis"/> sorts them by.
    /// </summary>
    private (List<FalseAlertFacts> FalseAlerts, List<MissedCrossingFacts> Misses) Diagnose(SeriesFrame frame, RiverFeatures features, HorizonModel[] models, double[][][] warned, int[][] bins, double[] level, double dry, int g, int from, int to, double warnAt)
    {
        var falseAlerts = new List<FalseAlertFacts>();
        var misses = new List<MissedCrossingFacts>();
        var gauge = _network.Gauges[g];
        var thresholds = gauge.Thresholds.Levels();
        int h30 = Array.IndexOf(HorizonMinutes, 30);
        int upstreamGain = Array.IndexOf(RiverFeatures.BaseNames, "upstream_arriving_gain");
        for (int k = 0; k < thresholds.Length; k++)
        {
            double t = thresholds[k];
            var (alerts, crossings) = WarningVerification.Events(level, i => ProbabilityAtLeast(models, warned, bins, level, g, i, t), t, from, to, warnAt);
            foreach (var a in alerts.Where(a => a.Crossing < 0))
            {
                int s = a.Start;
                int end = Math.Min(to - 1, a.LastWarning + WarningVerification.ValidRows);
                double peak = double.MinValue;
                for (int i = s; i <= end; i++)
                {
                    peak = double.IsNaN(level[i]) ? peak : Math.Max(peak, level[i]);
                }

                int later = -1;
                for (int i = end + 1; i < Math.Min(to, end + 37) && later < 0; i++)
                {
                    later = level[i] >= t ? i : -1;
                }

                var (best, bestP) = MostLikelyHorizon(models, warned, bins, level, g, s, t);

                double rise = warned[best][g][s] - level[s];
                int cell = models[best].UncertaintyBin(bins[g][s], rise);
                int inForce = Math.Min(end, s + WarningVerification.ValidRows);
                falseAlerts.Add(new FalseAlertFacts(
                    gauge.DeviceId, k + 1, frame.TimeAt(s), t - peak, later >= 0 ? (later - s) * 10.0 : null, features.CatchmentRain(g, inForce, inForce - s), bestP, rise,
                    models[best].ResidualQuantile(cell, 0.9) - models[best].ResidualQuantile(cell, 0.1)));
            }

            foreach (var (c, start) in crossings.Where(x => x.AlertStart < 0 || x.Row - x.AlertStart < WarningVerification.RequiredLeadMinutes / 10))
            {
                int o = c - 3;
                if (o < RiverFeatures.History)
                {
                    continue;
                }

                double radar = 0;
                for (int n = 0; n < 3; n++)
                {
                    double v = features.RadarAt(g, o, n);
                    radar += double.IsNaN(v) ? 0 : v;
                }

                var f = features.Build(g, o, 3);
                misses.Add(new MissedCrossingFacts(
                    gauge.DeviceId, k + 1, frame.TimeAt(c), start >= 0 ? (c - start) * 10.0 : null, level[c] - level[o], level[o] - dry, features.CatchmentRain(g, o, 6), radar,
                    features.CatchmentRain(g, c, 3), f is null ? 0 : f[upstreamGain], t - warned[h30][g][o], ProbabilityAtLeast(models, warned, bins, level, g, o, t)));
            }
        }

        return (falseAlerts, misses);
    }

    /// <summary>Scores of the model and both baselines on the rows <paramref name="mask"/> keeps (all when null).</summary>
    internal static HorizonScores Score(string target, int horizonMinutes, List<double> a, List<double> m, List<double> p, List<double> ha, List<bool>? mask, string subset)
    {
        var keep = Enumerable.Range(0, a.Count).Where(i => mask is null || mask[i]).ToArray();
        double[] Pick(List<double> values) => [.. keep.Select(i => values[i])];
        var sa = Pick(a);
        return new HorizonScores(
            target,
            horizonMinutes,
            ForecastMetrics.Compute(sa, Pick(m)),
            ForecastMetrics.Compute(sa, Pick(p)),
            ForecastMetrics.Compute(sa, Pick(ha)),
            subset);
    }

    /// <summary>
    /// Probability that gauge <paramref name="g"/>, at <paramref name="level"/>[i] now, reaches <paramref name="threshold"/> at some
    /// horizon from origin i: the highest over the horizons.
    /// </summary>
    private static double ProbabilityAtLeast(HorizonModel[] models, double[][][] predicted, int[][] bins, double[] level, int g, int i, double threshold) =>
        MostLikelyHorizon(models, predicted, bins, level, g, i, threshold).Probability;

    /// <summary>
    /// The horizon at which gauge <paramref name="g"/> is likeliest to reach <paramref name="threshold"/> from origin i, and that
    /// probability (a horizon without a forecast counts as 0; the first horizon when none has one).
    /// </summary>
    private static (int Horizon, double Probability) MostLikelyHorizon(HorizonModel[] models, double[][][] predicted, int[][] bins, double[] level, int g, int i, double threshold)
    {
        int best = 0;
        double bestP = -1;
        for (int h = 0; h < models.Length; h++)
        {
            double p = predicted[h][g][i];
            double probability = double.IsNaN(p) ? 0 : models[h].ProbabilityAtLeast(models[h].UncertaintyBin(bins[g][i], p - level[i]), p, threshold);
            (best, bestP) = probability > bestP ? (h, probability) : (best, bestP);
        }

        return (best, Math.Max(0, bestP));
    }

    /// <summary>Warning scores of gauge <paramref name="g"/> over rows [from, to), one per threshold.</summary>
    private IEnumerable<CrossingScores> Crossings(HorizonModel[] models, double[][][] predicted, int[][] bins, double[] level, int g, int from, int to, double warningProbability, AlertRule rule)
    {
        foreach (double threshold in _network.Gauges[g].Thresholds.Levels())
        {
            yield return WarningVerification.Score(level, i => ProbabilityAtLeast(models, predicted, bins, level, g, i, threshold), threshold, from, to, warningProbability, rule);
        }
    }

    private (double Ratio, PlotSeries Plot) StormPlot(SeriesFrame frame, RiverFeatures features, HorizonModel[] models, double[][][] predicted, int[][] bins, double[] level, int g, Fold fold)
    {
        var gauge = _network.Gauges[g];
        int peak = fold.TestFrom;
        for (int i = fold.TestFrom; i < fold.TestTo; i++)
        {
            if (level[i] > level[peak])
            {
                peak = i;
            }
        }

        int h60 = Array.IndexOf(HorizonMinutes, 60);
        int steps = 6;
        int from = Math.Max(fold.TestFrom + steps, peak - 36);
        int to = Math.Min(fold.TestTo, peak + 36);
        int n = Math.Max(0, to - from);
        var x = new double[n];
        var actual = new double[n];
        var forecast = new double[n];
        var lower = new double[n];
        var upper = new double[n];
        var persistence = new double[n];
        var rain = new double[n];
        var radar = new double[n];
        var radar30 = new double[n];
        var rainAtGauge = frame.Contains(RiverColumns.Rain10Min(gauge.DeviceId)) ? frame[RiverColumns.Rain10Min(gauge.DeviceId)] : null;
        for (int k = 0; k < n; k++)
        {
            int i = from + k;
            int origin = i - steps;
            x[k] = k / 6.0;
            actual[k] = level[i];
            forecast[k] = predicted[h60][g][origin];
            int bin = models[h60].UncertaintyBin(bins[g][origin], forecast[k] - level[origin]);
            lower[k] = forecast[k] + models[h60].ResidualQuantile(bin, 0.1);
            upper[k] = forecast[k] + models[h60].ResidualQuantile(bin, 0.9);
            persistence[k] = level[origin];
            rain[k] = rainAtGauge is null ? double.NaN : rainAtGauge[i];
            radar[k] = features.RadarAt(g, origin, RiverColumns.RainNowcastIntervals - 1);
            radar30[k] = features.RadarAt(g, i - 3, 2);
        }

        var secondary = new List<KeyValuePair<string, double[]>> { new("rain at the gauge, 10 min (mm)", rain) };
        if (radar.Any(v => !double.IsNaN(v)))
        {
            secondary.Add(new("radar nowcast, issued 60 min before (catchment, mm)", radar));
            secondary.Add(new("radar nowcast, issued 30 min before (catchment, mm)", radar30));
        }

        var t = gauge.Thresholds;
        var plot = new PlotSeries(
            string.Create(CultureInfo.InvariantCulture, $"{gauge.DeviceId} ({gauge.Name}), storm peaking {frame.TimeAt(peak).ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd HH:mm} JST: 60-min forecast"),
            "level (m)",
            x,
            string.Create(CultureInfo.InvariantCulture, $"hours from {frame.TimeAt(from).ToOffset(TimeSpan.FromHours(9)):MM-dd HH:mm} JST"),
            actual,
            forecast,
            lower,
            upper,
            persistence,
            "persistence",
            [new("standby", t.Standby), new("flood caution", t.FloodCaution), new("evacuation judgement", t.EvacuationJudgement), new("flood danger", t.FloodDanger)],
            secondary,
            "rain in 10 min (mm)");
        return (level[peak] / t.FloodDanger, plot);
    }

    internal static int SlotOfWeek(SeriesFrame frame, int index)
    {
        var t = frame.TimeAt(index);
        return (int)(((t.ToUnixTimeSeconds() % 604800) + 604800) % 604800 / (long)frame.Step.TotalSeconds);
    }

    /// <summary>Mean of each time-of-week slot over rows [from, to).</summary>
    internal static double[] TimeOfWeekMean(SeriesFrame frame, double[] values, int from, int to)
    {
        int slots = (int)(TimeSpan.FromDays(7) / frame.Step);
        var sum = new double[slots];
        var count = new int[slots];
        for (int i = from; i < to; i++)
        {
            if (!double.IsNaN(values[i]))
            {
                int s = SlotOfWeek(frame, i);
                sum[s] += values[i];
                count[s]++;
            }
        }

        for (int s = 0; s < slots; s++)
        {
            sum[s] = count[s] > 0 ? sum[s] / count[s] : double.NaN;
        }

        return sum;
    }

    private static double Percentile(double[] values, int from, int to, double p)
    {
        var list = new List<double>();
        for (int i = from; i < to; i++)
        {
            if (!double.IsNaN(values[i]))
            {
                list.Add(values[i]);
            }
        }

        if (list.Count == 0)
        {
            return double.NaN;
        }

        list.Sort();
        return list[(int)(p * (list.Count - 1))];
    }

    internal static double Median(IEnumerable<double> values)
    {
        var list = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToList();
        return list.Count == 0 ? double.NaN : list[list.Count / 2];
    }
}
