namespace IotHub.Forecasting;

/// <summary>Result of the sewer backtest.</summary>
/// <param name="Scores">Per horizon: all rows and rain periods.</param>
/// <param name="Models">The last fold's models, with their held-out metrics on their cards.</param>
/// <param name="LastTrainSeconds">Training time of the last fold.</param>
/// <param name="SurchargeHits">Surcharge onsets forecast by the 30-minute model (level within 5% of full) at least 10 minutes ahead.</param>
/// <param name="SurchargeOnsets">Surcharge onsets in the test periods.</param>
internal sealed record SewerBacktest(IReadOnlyList<HorizonScores> Scores, HorizonModel[] Models, double LastTrainSeconds, int SurchargeHits, int SurchargeOnsets);
