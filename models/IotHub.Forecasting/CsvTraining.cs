using System.Globalization;
using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>
/// The training command on a CSV of real history: one model per horizon predicting the change of
/// the target from now, from the target's lags, its value one season before the target time, the
/// other columns and the calendar; rolling-origin backtest against persistence and the seasonal
/// historical average.
/// </summary>
internal static class CsvTraining
{
    public static IReadOnlyList<string> Run(string csvPath, string target, string modelFolder, string reportFolder, TrainerKind trainer, IProgress<TrainingProgress>? progress, Func<PlotSeries, string, bool> plot)
    {
        progress?.Report(new TrainingProgress("csv: reading " + Path.GetFileName(csvPath), 5));
        var frame = CsvHistory.Load(csvPath);
        if (!frame.Contains(target))
        {
            throw new ArgumentException($"The CSV has no column '{target}'; it has {string.Join(", ", frame.ColumnNames)}.", nameof(target));
        }

        bool hourly = frame.Step <= TimeSpan.FromHours(1);
        int season = hourly ? (int)(TimeSpan.FromDays(1) / frame.Step) : 7;
        int[] horizons = hourly ? [1, 6, 24] : [1, 7];
        var others = frame.ColumnNames.Where(c => c != target).ToArray();
        var names = new List<string> { "now", "lag_1", "lag_2", "lag_3", "change_1", "season_before_target", "season_mean_before", "hour", "weekday", "month" };
        foreach (string other in others)
        {
            names.Add(other);
            names.Add(other + "_change_1");
        }

        var y = frame[target];
        int history = season + 4;
        int folds = 3;
        int testRows = Math.Max(horizons[^1] + 2, (frame.Length - history) / 5 / folds * 1);
        var report = new MarkdownReport("Forecast report: " + Path.GetFileName(csvPath));
        report.Paragraph(MarkdownReport.Invariant($"{frame.Length} rows every {frame.Step}, target `{target}`, {others.Length} other columns. Rolling origins: {folds}, each training on every row before it and forecasting the {testRows} rows after it."));
        var scores = new List<HorizonScores>();
        var results = new List<string>();
        Directory.CreateDirectory(modelFolder);
        Directory.CreateDirectory(reportFolder);
        for (int h = 0; h < horizons.Length; h++)
        {
            int steps = horizons[h];
            var actual = new List<double>();
            var model = new List<double>();
            var persistence = new List<double>();
            var average = new List<double>();
            HorizonModel? last = null;
            for (int k = 0; k < folds; k++)
            {
                int testTo = frame.Length - ((folds - 1 - k) * testRows);
                int testFrom = testTo - testRows;
                progress?.Report(new TrainingProgress(MarkdownReport.Invariant($"csv: horizon {steps}, origin {k + 1}"), 10 + (80.0 * ((h * folds) + k) / (horizons.Length * folds))));
                var rows = new TrainingRows();
                for (int i = history; i + steps < testFrom; i++)
                {
                    if (Build(frame, y, others, season, i, steps) is { } f && !double.IsNaN(y[i + steps]))
                    {
                        rows.Add(f, y[i + steps] - y[i], 0, i);
                    }
                }

                var card = new ModelCard
                {
                    Name = string.Create(CultureInfo.InvariantCulture, $"csv-{target}-{steps}step"),
                    Target = target,
                    Unit = "",
                    HorizonMinutes = (int)(frame.Step.TotalMinutes * steps),
                    Features = names,
                    TrainingFrom = frame.TimeAt(0),
                    TrainingTo = frame.TimeAt(testFrom),
                    TrainingRows = rows.Count,
                    Trainer = "",
                    ResidualPercentiles = [],
                };
                var options = new GbmOptions(Iterations: 150, Leaves: 15, MinLeafCount: Math.Clamp(rows.Count / 50, 3, 20));
                last = HorizonModel.Train(new MLContext(seed: 1), card, rows, trainer, options, bins: 1);
                var slot = SeasonalMean(frame, y, season, testFrom);
                var batch = new List<float[]>();
                var origins = new List<int>();
                for (int i = testFrom; i + steps < testTo; i++)
                {
                    if (Build(frame, y, others, season, i, steps) is { } f && !double.IsNaN(y[i + steps]))
                    {
                        batch.Add(f);
                        origins.Add(i);
                    }
                }

                var predicted = last.PredictBatch(batch);
                for (int n = 0; n < predicted.Length; n++)
                {
                    int i = origins[n];
                    actual.Add(y[i + steps]);
                    model.Add(y[i] + predicted[n]);
                    persistence.Add(y[i]);
                    average.Add(slot[SlotOf(frame, i + steps, season)]);
                }
            }

            var a = actual.ToArray();
            var s = new HorizonScores(target, (int)(frame.Step.TotalMinutes * steps), ForecastMetrics.Compute(a, model.ToArray()), ForecastMetrics.Compute(a, persistence.ToArray()), ForecastMetrics.Compute(a, average.ToArray()), MarkdownReport.Invariant($"{steps} step(s) ahead"));
            scores.Add(s);
            results.Add(MarkdownReport.Invariant($"{target}, {steps} step(s) ahead: model MAE {s.Model.Mae:F3}, persistence MAE {s.Persistence.Mae:F3}, historical average MAE {s.HistoricalAverage.Mae:F3}"));
            var saved = new HorizonModel(new MLContext(seed: 1), last!.Transformer, last.Card with
            {
                Metrics = new Dictionary<string, ForecastMetrics>(StringComparer.Ordinal) { ["model"] = s.Model, ["persistence"] = s.Persistence, ["historical-average"] = s.HistoricalAverage },
            });
            saved.Save(modelFolder);
        }

        report.Heading("Model against persistence").Scores(scores, "as in the file");
        report.Heading("Acceptance numbers").Paragraph(string.Join(Environment.NewLine, results.Select(r => "- " + r)));
        File.WriteAllText(Path.Combine(reportFolder, "forecast-report.md"), report.ToString());
        _ = plot;
        return results;
    }

    private static float[]? Build(SeriesFrame frame, double[] y, string[] others, int season, int i, int steps)
    {
        if (i < season + 4 || double.IsNaN(y[i]))
        {
            return null;
        }

        double seasonBefore = i + steps - season <= i ? y[i + steps - season] : y[i + steps - (2 * season)];
        double seasonMean = 0;
        int n = 0;
        for (int k = 1; k <= 4 && i + steps - (k * season) >= 0; k++)
        {
            int j = i + steps - (k * season);
            if (j <= i && !double.IsNaN(y[j]))
            {
                seasonMean += y[j];
                n++;
            }
        }

        var t = frame.TimeAt(i + steps);
        var f = new List<float>
        {
            (float)y[i], (float)y[i - 1], (float)y[i - 2], (float)y[i - 3], (float)(y[i] - y[i - 1]),
            (float)seasonBefore, (float)(n > 0 ? seasonMean / n : y[i]), t.Hour, (int)t.DayOfWeek, t.Month,
        };
        foreach (string other in others)
        {
            var x = frame[other];
            f.Add((float)x[i]);
            f.Add((float)(x[i] - x[i - 1]));
        }

        return [.. f];
    }

    private static int SlotOf(SeriesFrame frame, int i, int season) =>
        season == 7 ? (int)frame.TimeAt(i).DayOfWeek : (((int)frame.TimeAt(i).DayOfWeek * season) + (i % season));

    private static double[] SeasonalMean(SeriesFrame frame, double[] y, int season, int to)
    {
        int slots = season == 7 ? 7 : 7 * season;
        var sum = new double[slots];
        var count = new int[slots];
        for (int i = 0; i < to; i++)
        {
            if (!double.IsNaN(y[i]))
            {
                int s = SlotOf(frame, i, season);
                sum[s] += y[i];
                count[s]++;
            }
        }

        for (int s = 0; s < slots; s++)
        {
            sum[s] = count[s] > 0 ? sum[s] / count[s] : double.NaN;
        }

        return sum;
    }
}
