namespace IotHub.Forecasting;

/// <summary>Result of the traffic backtest.</summary>
/// <param name="Scores">Per target and horizon.</param>
/// <param name="Models">The last fold's models [target][horizon].</param>
/// <param name="LastTrainSeconds">Training time of the last fold.</param>
internal sealed record TrafficBacktest(IReadOnlyList<HorizonScores> Scores, HorizonModel[][] Models, double LastTrainSeconds);
