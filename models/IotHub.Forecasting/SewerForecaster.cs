using System.Globalization;
using IotHub.City;
using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>Sewer level 10 and 30 minutes ahead at every instrumented manhole: one pooled model per horizon.</summary>
internal sealed class SewerForecaster
{
    public static readonly int[] HorizonMinutes = [10, 30];

    // Dry weather is most of the record: keep one origin in this many (the rain periods all).
    private const int DryStride = 6;

    // Rain periods for scoring: at least this much rain (mm, summed 10-minute amounts) at the cover around the forecast.
    private const double RainPeriod = 0.5;

    private readonly CityScenario _city;
    private readonly TrainerKind _trainer;
    private readonly GbmOptions _options;

    public SewerForecaster(CityScenario city, TrainerKind trainer, GbmOptions options)
    {
        _city = city;
        _trainer = trainer;
        _options = options;
    }

    /// <summary>One model per horizon trained on rows [from, to).</summary>
    public HorizonModel[] Train(SeriesFrame frame, int from, int to)
    {
        var features = new SewerFeatures(_city, frame);
        var models = new HorizonModel[HorizonMinutes.Length];
        for (int h = 0; h < HorizonMinutes.Length; h++)
        {
            int steps = HorizonMinutes[h] / 5;
            var rows = new TrainingRows();
            for (int m = 0; m < features.Count; m++)
            {
                var level = frame[SewerColumns.Level(features.Manhole(m).DeviceId)];
                for (int i = from + SewerFeatures.History; i + steps < to; i++)
                {
                    bool wet = features.RainAround(m, i, 0) > 0;
                    if (!wet && (i + m) % DryStride != 0)
                    {
                        continue;
                    }

                    double label = level[i + steps] - level[i];
                    if (features.Build(m, i, steps) is { } f && !double.IsNaN(label))
                    {
                        rows.Add(f, label, wet ? 1 : 0, i);
                    }
                }
            }

            var card = new ModelCard
            {
                Name = string.Create(CultureInfo.InvariantCulture, $"sewer-level-{HorizonMinutes[h]:000}min"),
                Target = "sewer.level",
                Unit = "m",
                HorizonMinutes = HorizonMinutes[h],
                Features = SewerFeatures.Names,
                TrainingFrom = frame.TimeAt(from),
                TrainingTo = frame.TimeAt(to),
                TrainingRows = rows.Count,
                Trainer = "",
                ResidualPercentiles = [],
                BinRule = "0: no rain at the cover in the last hour; 1: rain",
            };
            models[h] = HorizonModel.Train(new MLContext(seed: 1), card, rows, _trainer, _options, bins: 2);
        }

        return models;
    }

    /// <summary>Rolling-origin backtest against persistence and the time-of-week average; the last fold's models are returned.</summary>
    public SewerBacktest Backtest(SeriesFrame frame, Fold[] folds, IProgress<string>? progress)
    {
        var features = new SewerFeatures(_city, frame);
        var actual = new List<double>[HorizonMinutes.Length];
        var model = new List<double>[HorizonMinutes.Length];
        var persistence = new List<double>[HorizonMinutes.Length];
        var average = new List<double>[HorizonMinutes.Length];
        var wet = new List<bool>[HorizonMinutes.Length];
        for (int h = 0; h < HorizonMinutes.Length; h++)
        {
            (actual[h], model[h], persistence[h], average[h], wet[h]) = ([], [], [], [], []);
        }

        HorizonModel[] last = [];
        double trainSeconds = 0;
        int hits = 0, onsets = 0;
        foreach (var fold in folds)
        {
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"sewers: training fold ending {frame.TimeAt(fold.TrainTo):yyyy-MM-dd}"));
            var clock = TrainingClock.Start();
            last = Train(frame, fold.TrainFrom, fold.TrainTo);
            trainSeconds = clock.Stop();
            progress?.Report("sewers: scoring");
            for (int m = 0; m < features.Count; m++)
            {
                var manhole = features.Manhole(m);
                var level = frame[SewerColumns.Level(manhole.DeviceId)];
                var slotMean = RiverForecaster.TimeOfWeekMean(frame, level, fold.TrainFrom, fold.TrainTo);
                var forecast30 = new double[frame.Length];
                for (int h = 0; h < HorizonMinutes.Length; h++)
                {
                    int steps = HorizonMinutes[h] / 5;
                    var batch = new List<float[]>();
                    var origins = new List<int>();
                    for (int i = fold.TestFrom; i + steps < fold.TestTo; i++)
                    {
                        if (features.Build(m, i, steps) is { } f && !double.IsNaN(level[i + steps]))
                        {
                            batch.Add(f);
                            origins.Add(i);
                        }
                    }

                    var deltas = last[h].PredictBatch(batch);
                    for (int n = 0; n < origins.Count; n++)
                    {
                        int i = origins[n];
                        double p = Math.Clamp(level[i] + deltas[n], 0, manhole.PipeDiameter);
                        actual[h].Add(level[i + steps]);
                        model[h].Add(p);
                        persistence[h].Add(level[i]);
                        average[h].Add(slotMean[RiverForecaster.SlotOfWeek(frame, i + steps)]);
                        wet[h].Add(features.RainAround(m, i, steps) >= RainPeriod);
                        if (HorizonMinutes[h] == 30)
                        {
                            forecast30[i] = p;
                        }
                    }
                }

                var (h30, o30) = SurchargeWarnings(frame, manhole, forecast30, fold);
                hits += h30;
                onsets += o30;
            }
        }

        var scores = new List<HorizonScores>();
        for (int h = 0; h < HorizonMinutes.Length; h++)
        {
            scores.Add(RiverForecaster.Score("sewer.level", HorizonMinutes[h], actual[h], model[h], persistence[h], average[h], null, "all"));
            scores.Add(RiverForecaster.Score("sewer.level", HorizonMinutes[h], actual[h], model[h], persistence[h], average[h], wet[h], "rain"));
        }

        for (int h = 0; h < last.Length; h++)
        {
            var s = scores.First(x => x.HorizonMinutes == HorizonMinutes[h] && x.Subset == "rain");
            last[h] = new HorizonModel(new MLContext(seed: 1), last[h].Transformer, last[h].Card with
            {
                Metrics = new Dictionary<string, ForecastMetrics>(StringComparer.Ordinal)
                {
                    ["model"] = s.Model,
                    ["persistence"] = s.Persistence,
                    ["historical-average"] = s.HistoricalAverage,
                },
            });
        }

        return new SewerBacktest(scores, last, trainSeconds, hits, onsets);
    }

    /// <summary>Surcharge onsets, and how many the 30-minute forecast saw coming (forecast within 5% of full) 10 to 30 minutes before.</summary>
    private static (int Hits, int Onsets) SurchargeWarnings(SeriesFrame frame, Manhole manhole, double[] forecast30, Fold fold)
    {
        var surcharged = frame[SewerColumns.Surcharged(manhole.DeviceId)];
        int hits = 0, onsets = 0;
        for (int i = fold.TestFrom + 6; i < fold.TestTo; i++)
        {
            if (surcharged[i] != 1 || surcharged[i - 1] == 1)
            {
                continue;
            }

            onsets++;
            bool warned = false;
            for (int o = i - 6; o <= i - 2 && !warned; o++)
            {
                warned = forecast30[o] >= 0.95 * manhole.PipeDiameter;
            }

            hits += warned ? 1 : 0;
        }

        return (hits, onsets);
    }
}
