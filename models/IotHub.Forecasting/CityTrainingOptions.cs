namespace IotHub.Forecasting;

/// <summary>What the training command trains and where it writes.</summary>
/// <param name="TrainDays">Days of history each model trains on (default 90).</param>
/// <param name="Folds">Rolling origins of the backtest (default 3); the last one's models are written.</param>
/// <param name="TestDays">Held-out days per origin (default 20).</param>
/// <param name="Seed">Simulator seed.</param>
/// <param name="ModelFolder">Where model files go.</param>
/// <param name="ReportFolder">Where the report and plots go.</param>
/// <param name="Parts">Parts to train: rivers, sewers, traffic, signals, crowding.</param>
/// <param name="Trainer">Learner.</param>
public sealed record CityTrainingOptions(int TrainDays, int Folds, int TestDays, int Seed, string ModelFolder, string ReportFolder, IReadOnlySet<string> Parts, TrainerKind Trainer)
{
    /// <summary>Start of the simulated history: a Monday, 00:00 JST.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 3, 1, 15, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Errors of the radar rain nowcast the simulated gauges relay (default the calibrated ones), or null for a city whose
    /// gauges relay none (the river models then fall back on the gauges' own field moved along). Anything but the default is a diagnostic.
    /// </summary>
    public IotHub.Simulators.RadarNowcastErrors? NowcastErrors { get; init; } = IotHub.Simulators.RadarNowcastErrors.Calibrated;

    /// <summary>
    /// Diagnostic: measure the river models' residuals as before the warning diagnosis (on the training window's last 15 %, per
    /// uncertainty bin only) instead of cross-fitted over the window and split by the size of the predicted change.
    /// </summary>
    public bool CalmBins { get; init; }

    /// <summary>Tree-ensemble settings.</summary>
    public GbmOptions Gbm { get; init; } = new();
}
