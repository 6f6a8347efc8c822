using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>
/// A trained direct-horizon regressor for one target and one lead time, with its card. Predicts
/// the change from now (or the level itself when the card says so); intervals and exceedance
/// probabilities come from the card's residual percentiles. Thread-safe.
/// </summary>
public sealed class HorizonModel
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly ConcurrentBag<PredictionEngine<FeatureRow, ScoreRow>> _engines = [];

    internal HorizonModel(MLContext ml, ITransformer model, ModelCard card)
    {
        _ml = ml;
        _model = model;
        Card = card;
    }

    /// <summary>What the model is and how well it did.</summary>
    public ModelCard Card { get; }

    internal ITransformer Transformer => _model;

    // Fewest rows a model is fitted and calibrated on.
    private const int MinRows = 50;

    // Share of the training window's time span the model is fitted on; the rest calibrates its intervals.
    internal const double CalibrationCut = 0.85;

    /// <summary>The same model with another card (metrics or settings measured after fitting).</summary>
    internal HorizonModel WithCard(ModelCard card) => new(_ml, _model, card);

    /// <summary>Fits a model on rows before the calibration cut and measures residual percentiles on the rows after it.</summary>
    internal static HorizonModel Train(MLContext ml, ModelCard card, TrainingRows rows, TrainerKind kind, GbmOptions options, int bins)
    {
        if (rows.Count < MinRows)
        {
            throw new InvalidDataException($"{card.Name}: only {rows.Count} complete training rows (at least {MinRows} are needed); the history has too few rows with both the features and the value {card.HorizonMinutes} minutes later.");
        }

        var (fitX, fitY, calX, calY, calBin) = rows.SplitForCalibration(CalibrationCut);
        var resolved = Gbm.Resolve(kind);
        var model = Gbm.Fit(ml, fitX, fitY, resolved, options);
        var predicted = Gbm.Predict(ml, model, calX, card.Features.Count);
        var residuals = new List<double>[bins];
        for (int b = 0; b < bins; b++)
        {
            residuals[b] = [];
        }

        var all = new List<double>(calY.Count);
        for (int i = 0; i < calY.Count; i++)
        {
            double r = calY[i] - predicted[i];
            residuals[Math.Clamp(calBin[i], 0, bins - 1)].Add(r);
            all.Add(r);
        }

        var percentiles = new double[bins][];
        for (int b = 0; b < bins; b++)
        {
            // Too few calibration rows in a bin: borrow the pooled residuals rather than invent a width.
            percentiles[b] = Percentiles(residuals[b].Count >= 30 ? residuals[b] : all);
        }

        return new HorizonModel(ml, model, card with
        {
            TrainingRows = fitX.Count,
            Trainer = resolved.ToString(),
            ResidualPercentiles = percentiles,
        });
    }

    /// <summary>Predicted change (or value) for many rows.</summary>
    internal double[] PredictBatch(IReadOnlyList<float[]> features) => Gbm.Predict(_ml, _model, features, Card.Features.Count);

    /// <summary>Predicted change (or value) for one row.</summary>
    internal double Predict(float[] features)
    {
        if (features.Length != Card.Features.Count)
        {
            throw new ArgumentException($"Model {Card.Name} expects {Card.Features.Count} features, got {features.Length}.", nameof(features));
        }

        if (!_engines.TryTake(out var engine))
        {
            engine = _ml.Model.CreatePredictionEngine<FeatureRow, ScoreRow>(_model, inputSchemaDefinition: FeatureRow.Schema(features.Length));
        }

        try
        {
            return engine.Predict(new FeatureRow { Features = features }).Score;
        }
        finally
        {
            // At most a few engines: one per thread that predicted concurrently.
            _engines.Add(engine);
        }
    }

    /// <summary>The residual at percentile <paramref name="p"/> (0-1) for uncertainty bin <paramref name="bin"/>.</summary>
    public double ResidualQuantile(int bin, double p)
    {
        var q = Card.ResidualPercentiles[Math.Clamp(bin, 0, Card.ResidualPercentiles.Count - 1)];
        double position = Math.Clamp((p * 100) - 1, 0, q.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, q.Length - 1);
        return q[lower] + ((q[upper] - q[lower]) * (position - lower));
    }

    /// <summary>
    /// Probability that the actual value is at least <paramref name="threshold"/> when the point
    /// forecast is <paramref name="forecast"/>: the share of residuals above threshold - forecast.
    /// </summary>
    public double ProbabilityAtLeast(int bin, double forecast, double threshold)
    {
        var q = Card.ResidualPercentiles[Math.Clamp(bin, 0, Card.ResidualPercentiles.Count - 1)];
        double needed = threshold - forecast;
        if (needed <= q[0])
        {
            return 0.995;
        }

        if (needed > q[^1])
        {
            return 0.005;
        }

        int i = 0;
        while (i + 1 < q.Length && q[i + 1] < needed)
        {
            i++;
        }

        double span = q[i + 1] - q[i];
        double fraction = span > 0 ? (needed - q[i]) / span : 0.5;
        double cdf = (i + 1 + fraction) / 100.0;
        return Math.Clamp(1 - cdf, 0.005, 0.995);
    }

    /// <summary>Writes <c>{Name}.zip</c> (the ML.NET model) and <c>{Name}.json</c> (the card) into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        _ml.Model.Save(_model, Gbm.InputSchema(_ml, Card.Features.Count), Path.Combine(folder, Card.Name + ".zip"));
        File.WriteAllText(Path.Combine(folder, Card.Name + ".json"), JsonSerializer.Serialize(Card, Json));
    }

    /// <summary>Loads a model saved by <see cref="Save"/>; <paramref name="cardPath"/> is the JSON file.</summary>
    public static HorizonModel Load(string cardPath)
    {
        var card = JsonSerializer.Deserialize<ModelCard>(File.ReadAllText(cardPath), Json)
            ?? throw new InvalidDataException($"{cardPath} holds no model card.");
        var ml = new MLContext(seed: 1);
        string zip = Path.ChangeExtension(cardPath, ".zip");
        var model = ml.Model.Load(zip, out _);
        return new HorizonModel(ml, model, card);
    }

    private static double[] Percentiles(List<double> values)
    {
        var sorted = values.Count > 0 ? values.ToArray() : [0.0];
        Array.Sort(sorted);
        var result = new double[99];
        for (int p = 1; p <= 99; p++)
        {
            double position = p / 100.0 * (sorted.Length - 1);
            int lower = (int)Math.Floor(position);
            int upper = Math.Min(lower + 1, sorted.Length - 1);
            result[p - 1] = sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
        }

        return result;
    }
}
