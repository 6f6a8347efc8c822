namespace IotHub.Forecasting;

/// <summary>
/// What a model file is: its target and horizon, the features it expects in order, the window it
/// was trained on, its held-out metrics beside the baselines, and the residual quantiles its
/// prediction intervals and threshold probabilities come from. Saved as JSON next to the model.
/// </summary>
public sealed record ModelCard
{
    /// <summary>File name stem, e.g. <c>river-level-060min</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What is forecast, e.g. <c>river.level</c> (unit in <see cref="Unit"/>).</summary>
    public required string Target { get; init; }

    /// <summary>Unit of the target.</summary>
    public required string Unit { get; init; }

    /// <summary>Lead time.</summary>
    public required int HorizonMinutes { get; init; }

    /// <summary>Feature names in the order of the feature vector.</summary>
    public required IReadOnlyList<string> Features { get; init; }

    /// <summary>First time of the training data.</summary>
    public required DateTimeOffset TrainingFrom { get; init; }

    /// <summary>End (exclusive) of the training data.</summary>
    public required DateTimeOffset TrainingTo { get; init; }

    /// <summary>Rows the model was fitted on.</summary>
    public required int TrainingRows { get; init; }

    /// <summary>LightGbm or FastTree.</summary>
    public required string Trainer { get; init; }

    /// <summary>True when the model predicts the change from the last observation (add it back).</summary>
    public bool PredictsChange { get; init; } = true;

    /// <summary>Held-out metrics by forecaster: <c>model</c>, <c>persistence</c>, <c>historical-average</c>.</summary>
    public IReadOnlyDictionary<string, ForecastMetrics> Metrics { get; init; } = new Dictionary<string, ForecastMetrics>();

    /// <summary>
    /// Residual (actual - predicted) percentiles 1..99 per uncertainty bin, measured on the last part of
    /// the training window that the model did not fit.
    /// </summary>
    public required IReadOnlyList<double[]> ResidualPercentiles { get; init; }

    /// <summary>
    /// For threshold-crossing warnings (river models): the probability of the warning models at which training says to warn,
    /// or null when it set none.
    /// </summary>
    public double? WarningProbability { get; init; }

    /// <summary>
    /// Edges (m, or the target's unit) of the size of the predicted change that split every uncertainty bin further (empty: not
    /// split). With edges e1 &lt; e2 ..., a row of bin b whose predicted change c has |c| in [e(k), e(k+1)) uses the residuals of cell
    /// b x (edges + 1) + k (<see cref="HorizonModel.UncertaintyBin"/>): a forecast of a 1 m rise is not as sure as one of no change.
    /// </summary>
    public IReadOnlyList<double> ChangeEdges { get; init; } = [];

    /// <summary>How rows are put into uncertainty bins (documentation for readers of the file).</summary>
    public string BinRule { get; init; } = "one bin";
}
