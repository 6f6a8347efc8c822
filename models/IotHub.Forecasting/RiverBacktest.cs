namespace IotHub.Forecasting;

/// <summary>Result of the river backtest.</summary>
/// <param name="Scores">Per horizon, all rows and storm periods.</param>
/// <param name="Crossings">Threshold-crossing warnings, one per warning probability of <see cref="RiverForecaster.WarningProbabilities"/>.</param>
/// <param name="ChosenCrossings">Threshold-crossing warnings at the probability each origin's training chose on its validation rows.</param>
/// <param name="ChosenProbabilities">The probability each origin chose.</param>
/// <param name="WorstStorm">Forecast against actual around the highest level relative to flood danger.</param>
/// <param name="Models">The last fold's models, with its held-out metrics on their cards.</param>
/// <param name="LastTrainSeconds">Training time of the last fold.</param>
internal sealed record RiverBacktest(IReadOnlyList<HorizonScores> Scores, IReadOnlyList<CrossingScores> Crossings, CrossingScores ChosenCrossings, IReadOnlyList<double> ChosenProbabilities, PlotSeries? WorstStorm, HorizonModel[] Models, double LastTrainSeconds);
