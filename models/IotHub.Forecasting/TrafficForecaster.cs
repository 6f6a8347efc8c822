using System.Globalization;
using IotHub.City;
using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>Detector volume, speed and queue 15, 30 and 60 minutes ahead: one pooled model per target and horizon.</summary>
internal sealed class TrafficForecaster
{
    public static readonly int[] HorizonMinutes = [15, 30, 60];

    // Origins every 30 minutes (every sixth 5-minute row): half the rows of every 15 minutes, the same accuracy, half the training time.
    private const int OriginStride = 6;

    private readonly CityScenario _city;
    private readonly TrainerKind _trainer;
    private readonly GbmOptions _options;

    public TrafficForecaster(CityScenario city, TrainerKind trainer, GbmOptions options)
    {
        _city = city;
        _trainer = trainer;
        _options = options;
    }

    /// <summary>Models [target][horizon] trained on rows [from, to).</summary>
    public HorizonModel[][] Train(SeriesFrame frame, int from, int to)
    {
        var features = new TrafficFeatures(_city, frame, from, to);
        var models = new HorizonModel[TrafficFeatures.Targets.Length][];
        for (int t = 0; t < TrafficFeatures.Targets.Length; t++)
        {
            models[t] = new HorizonModel[HorizonMinutes.Length];
            for (int h = 0; h < HorizonMinutes.Length; h++)
            {
                int steps = HorizonMinutes[h] / 5;
                var rows = new TrainingRows();
                for (int d = 0; d < features.Count; d++)
                {
                    for (int i = from + 12 - (from % OriginStride); i + steps < to; i += OriginStride)
                    {
                        if (i < from + 12 || features.Build(d, t, i, steps) is not { } f)
                        {
                            continue;
                        }

                        double label = features.Label(d, t, i, steps) - features.Mean15(d, t, i);
                        if (!double.IsNaN(label))
                        {
                            rows.Add(f, label, 0, i);
                        }
                    }
                }

                var card = new ModelCard
                {
                    Name = string.Create(CultureInfo.InvariantCulture, $"traffic-{TrafficFeatures.Targets[t].Replace('_', '-')}-{HorizonMinutes[h]:000}min"),
                    Target = "traffic." + TrafficFeatures.Targets[t] + " (15-min mean)",
                    Unit = TrafficFeatures.Units[t],
                    HorizonMinutes = HorizonMinutes[h],
                    Features = TrafficFeatures.Names,
                    TrainingFrom = frame.TimeAt(from),
                    TrainingTo = frame.TimeAt(to),
                    TrainingRows = rows.Count,
                    Trainer = "",
                    ResidualPercentiles = [],
                };
                models[t][h] = HorizonModel.Train(new MLContext(seed: 1), card, rows, _trainer, _options, bins: 1);
            }
        }

        return models;
    }

    public TrafficBacktest Backtest(SeriesFrame frame, Fold[] folds, IProgress<string>? progress)
    {
        int targets = TrafficFeatures.Targets.Length;
        var acc = new List<(double Actual, double Model, double Persistence, double Average, bool Peak)>[targets, HorizonMinutes.Length];
        for (int t = 0; t < targets; t++)
        {
            for (int h = 0; h < HorizonMinutes.Length; h++)
            {
                acc[t, h] = [];
            }
        }

        HorizonModel[][] last = [];
        double seconds = 0;
        foreach (var fold in folds)
        {
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"traffic: training fold ending {frame.TimeAt(fold.TrainTo):yyyy-MM-dd}"));
            var clock = TrainingClock.Start();
            last = Train(frame, fold.TrainFrom, fold.TrainTo);
            seconds = clock.Stop();
            var features = new TrafficFeatures(_city, frame, fold.TrainFrom, fold.TrainTo);
            for (int t = 0; t < targets; t++)
            {
                for (int h = 0; h < HorizonMinutes.Length; h++)
                {
                    int steps = HorizonMinutes[h] / 5;
                    var batch = new List<float[]>();
                    var meta = new List<(double Actual, double Now, double Average, bool Peak)>();
                    for (int d = 0; d < features.Count; d++)
                    {
                        for (int i = fold.TestFrom - (fold.TestFrom % OriginStride) + OriginStride; i + steps < fold.TestTo; i += OriginStride)
                        {
                            if (features.Build(d, t, i, steps) is not { } f)
                            {
                                continue;
                            }

                            double actual = features.Label(d, t, i, steps);
                            if (double.IsNaN(actual))
                            {
                                continue;
                            }

                            var local = frame.TimeAt(i + steps).ToOffset(TimeSpan.FromHours(9));
                            bool peak = local.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && local.TimeOfDay.TotalHours is >= 7 and <= 10;
                            batch.Add(f);
                            meta.Add((actual, features.Mean15(d, t, i), features.Average15(d, t, i + steps), peak));
                        }
                    }

                    var predicted = last[t][h].PredictBatch(batch);
                    for (int n = 0; n < predicted.Length; n++)
                    {
                        acc[t, h].Add((meta[n].Actual, meta[n].Now + predicted[n], meta[n].Now, meta[n].Average, meta[n].Peak));
                    }
                }
            }
        }

        var scores = new List<HorizonScores>();
        for (int t = 0; t < targets; t++)
        {
            for (int h = 0; h < HorizonMinutes.Length; h++)
            {
                foreach (bool peakOnly in new[] { false, true })
                {
                    var rows = acc[t, h].Where(r => !peakOnly || r.Peak).ToList();
                    var a = rows.Select(r => r.Actual).ToArray();
                    scores.Add(new HorizonScores(
                        "traffic." + TrafficFeatures.Targets[t],
                        HorizonMinutes[h],
                        ForecastMetrics.Compute(a, rows.Select(r => r.Model).ToArray()),
                        ForecastMetrics.Compute(a, rows.Select(r => r.Persistence).ToArray()),
                        ForecastMetrics.Compute(a, rows.Select(r => r.Average).ToArray()),
                        peakOnly ? "weekday 07-10" : "all"));
                }

                var all = scores[^2];
                last[t][h] = new HorizonModel(new MLContext(seed: 1), last[t][h].Transformer, last[t][h].Card with
                {
                    Metrics = new Dictionary<string, ForecastMetrics>(StringComparer.Ordinal)
                    {
                        ["model"] = all.Model,
                        ["persistence"] = all.Persistence,
                        ["historical-average"] = all.HistoricalAverage,
                    },
                });
            }
        }

        return new TrafficBacktest(scores, last, seconds);
    }
}
