namespace IotHub.Forecasting;

/// <summary>Result of the river backtest.</summary>
/// <param name="Scores">Per horizon, all rows and storm periods.</param>
/// <param name="Crossings">Threshold-crossing warnings from the warning models, one per warning probability of <see cref="RiverForecaster.WarningProbabilities"/>, scored event-based (<see cref="AlertRule.EventBased"/>).</param>
/// <param name="LegacyCrossings">The same warnings scored by the definition used before (<see cref="AlertRule.Legacy"/>), for comparison.</param>
/// <param name="ByThreshold">The served warnings (each origin's chosen probability, event-based) per threshold: standby, flood caution, evacuation judgement, flood danger.</param>
/// <param name="LevelCrossings">Threshold-crossing warnings from the level models (rainfall-runoff features) at <see cref="RiverForecaster.WarningProbability"/>, for comparison.</param>
/// <param name="WorstStorm">Forecast against actual around the highest level relative to flood danger.</param>
/// <param name="Models">The last fold's models, with its held-out metrics on their cards.</param>
/// <param name="LastTrainSeconds">Training time of the last fold.</param>
internal sealed record RiverBacktest(IReadOnlyList<HorizonScores> Scores, IReadOnlyList<CrossingScores> Crossings, IReadOnlyList<CrossingScores> LegacyCrossings, IReadOnlyList<CrossingScores> ByThreshold, CrossingScores LevelCrossings, PlotSeries? WorstStorm, HorizonModel[] Models, double LastTrainSeconds)
{
    /// <summary>
    /// The served warnings over every origin's test period: each origin at the probability its training chose (<see cref="Choices"/>);
    /// <see cref="CrossingScores.WarningProbability"/> is their mean.
    /// </summary>
    public CrossingScores? Served { get; init; }

    /// <summary>The served warnings of each origin's test period, at its chosen probability.</summary>
    public IReadOnlyList<CrossingScores> ServedPerOrigin { get; init; } = [];

    /// <summary>How each origin's training chose its warning probability (empty when none was chosen).</summary>
    public IReadOnlyList<WarningChoice> Choices { get; init; } = [];

    /// <summary>The served warnings' false alerts, with what happened while each was in force.</summary>
    public IReadOnlyList<FalseAlertFacts> FalseAlerts { get; init; } = [];

    /// <summary>The crossings the served warnings did not warn of 30 minutes ahead, with what was known 30 minutes before each.</summary>
    public IReadOnlyList<MissedCrossingFacts> Misses { get; init; } = [];
}
