namespace IotHub.Forecasting;

/// <summary>Result of the crowding backtest.</summary>
/// <param name="Scores">Day ahead (all, peak) and the nowcast.</param>
/// <param name="Model">The last fold's day-ahead model.</param>
/// <param name="BusiestTrain">The busiest car's day: forecast against actual.</param>
/// <param name="LastTrainSeconds">Training time of the last fold.</param>
internal sealed record CrowdingBacktest(IReadOnlyList<HorizonScores> Scores, HorizonModel Model, PlotSeries? BusiestTrain, double LastTrainSeconds);
