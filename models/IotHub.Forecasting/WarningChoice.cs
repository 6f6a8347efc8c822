namespace IotHub.Forecasting;

/// <summary>How training chose the river warning probability (<see cref="RiverForecaster.ChooseWarningProbability"/>).</summary>
/// <param name="Probability">The probability chosen, carried on the warning models' cards and served by the hub.</param>
/// <param name="Training">The training window's out-of-fold warnings at that probability.</param>
/// <param name="Candidates">The training window's out-of-fold warnings at every probability tried.</param>
internal sealed record WarningChoice(double Probability, CrossingScores Training, IReadOnlyList<CrossingScores> Candidates);
