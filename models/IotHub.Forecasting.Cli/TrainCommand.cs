using System.Diagnostics;
using IotHub.City;
using IotHub.Simulators;
using Spectre.Console;

namespace IotHub.Forecasting.Cli;

/// <summary>Runs the training with a progress bar and prints where the results went.</summary>
internal static class TrainCommand
{
    private static readonly string[] AllParts = ["nowcast", "rivers", "sewers", "traffic", "signals", "crowding"];

    public static int Run(TrainCommandOptions options)
    {
        var trainer = options.Trainer.ToUpperInvariant() switch
        {
            "LIGHTGBM" => TrainerKind.LightGbm,
            "FASTTREE" => TrainerKind.FastTree,
            _ => TrainerKind.Auto,
        };
        var watch = Stopwatch.StartNew();
        IReadOnlyList<string> results = [];
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("forecasts", maxValue: 100);
                var progress = new SynchronousProgress(p =>
                {
                    if (Console.IsOutputRedirected && p.Task != task.Description)
                    {
                        Console.Error.WriteLine($"{watch.Elapsed.TotalSeconds,6:F0} s  {p.Task}");
                    }

                    task.Description = Markup.Escape(p.Task);
                    task.Value = Math.Max(task.Value, p.Percent);
                });
                if (options.Csv is { } csv)
                {
                    if (options.Target is null)
                    {
                        throw new ArgumentException("--csv needs --target, the column to forecast.");
                    }

                    results = CsvTraining.Run(csv, options.Target, options.Out, options.Report, trainer, progress, PlotWriter.Write);
                }
                else
                {
                    var parts = options.Only is { } only
                        ? new HashSet<string>(only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal)
                        : new HashSet<string>(AllParts, StringComparer.Ordinal);
                    var nowcast = options.Nowcast switch
                    {
                        "calibrated" => RadarNowcastErrors.Calibrated,
                        "perfect-tracking" => RadarNowcastErrors.ExtrapolationOnly,
                        "none" => null,
                        _ => throw new ArgumentException($"--nowcast must be calibrated, perfect-tracking or none, not '{options.Nowcast}'."),
                    };
                    var training = new CityTraining(
                        CityScenario.Default,
                        new CityTrainingOptions(options.Days, options.Folds, options.TestDays, options.Seed, options.Out, options.Report, parts, trainer) { NowcastErrors = nowcast, CalmBins = options.CalmBins },
                        progress,
                        PlotWriter.Write);
                    training.Run();
                    results = training.Results;
                }

                task.Value = 100;
            });

        foreach (string line in results)
        {
            AnsiConsole.MarkupLine("- " + Markup.Escape(line));
        }

        AnsiConsole.MarkupLine(Markup.Escape($"total {watch.Elapsed.TotalSeconds:F0} s; models in {options.Out}, report in {options.Report}"));
        return 0;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
