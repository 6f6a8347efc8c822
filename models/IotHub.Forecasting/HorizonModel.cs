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

    internal HorizonModel(MLContext ml, ITransformer model, ModelCard card, OutOfFold? outOfFold = null)
    {
        _ml = ml;
        _model = model;
        Card = card;
        OutOfFoldModels = outOfFold;
    }

    /// <summary>
    /// The cross-fit's models (training only, not saved): each block of the training window's time forecast by the model fitted on
    /// the other blocks, so the window's own forecasts can be scored without the model having seen them. Null when not cross-fitted.
    /// </summary>
    internal OutOfFold? OutOfFoldModels { get; }

    /// <summary>What the model is and how well it did.</summary>
    public ModelCard Card { get; }

    internal ITransformer Transformer => _model;

    // Fewest rows a model is fitted and calibrated on.
    private const int MinRows = 50;

    // Share of the training window's time span the model is fitted on; the rest calibrates its intervals.
    internal const double CalibrationCut = 0.85;

    /// <summary>The same model with another card (metrics or settings measured after fitting).</summary>
    internal HorizonModel WithCard(ModelCard card) => new(_ml, _model, card, OutOfFoldModels);

    /// <summary>
    /// Fits a model on rows before the calibration cut and measures residual percentiles on the rows after it, per uncertainty
    /// bin and, when the card has <see cref="ModelCard.ChangeEdges"/>, per size of the predicted change within each bin.
    /// </summary>
    /// <remarks>
    /// With <paramref name="crossFitBlocks"/> of 2 or more the residuals are measured across the whole window instead: it is cut
    /// into that many blocks of time, each block's residuals come from a model fitted on the other blocks, and the model kept is
    /// fitted on every row. Rare events (a storm or two in the last part of the window) then still give their bins many residuals.
    /// </remarks>
    internal static HorizonModel Train(MLContext ml, ModelCard card, TrainingRows rows, TrainerKind kind, GbmOptions options, int bins, int crossFitBlocks = 0)
    {
        if (rows.Count < MinRows)
        {
            throw new InvalidDataException($"{card.Name}: only {rows.Count} complete training rows (at least {MinRows} are needed); the history has too few rows with both the features and the value {card.HorizonMinutes} minutes later.");
        }

        var resolved = Gbm.Resolve(kind);
        ITransformer model;
        int fitRows;
        List<float> calY;
        List<int> calBin;
        double[] predicted;
        OutOfFold? outOfFold = null;
        if (crossFitBlocks >= 2)
        {
            (calY, calBin, predicted, outOfFold) = CrossFit(ml, card, rows, resolved, options, crossFitBlocks);
            model = Gbm.Fit(ml, rows.Features, rows.Labels, resolved, options);
            fitRows = rows.Count;
        }
        else
        {
            var (fitX, fitY, calX, y, b) = rows.SplitForCalibration(CalibrationCut);
            model = Gbm.Fit(ml, fitX, fitY, resolved, options);
            predicted = Gbm.Predict(ml, model, calX, card.Features.Count);
            (calY, calBin, fitRows) = (y, b, fitX.Count);
        }

        int classes = card.ChangeEdges.Count + 1;
        var residuals = new List<(double Residual, int Class)>[bins];
        for (int b = 0; b < bins; b++)
        {
            residuals[b] = [];
        }

        for (int i = 0; i < calY.Count; i++)
        {
            residuals[Math.Clamp(calBin[i], 0, bins - 1)].Add((calY[i] - predicted[i], ChangeClass(card.ChangeEdges, predicted[i])));
        }

        var percentiles = new double[bins * classes][];
        for (int b = 0; b < bins; b++)
        {
            for (int c = 0; c < classes; c++)
            {
                percentiles[(b * classes) + c] = Percentiles(CellResiduals(residuals, b, c));
            }
        }

        return new HorizonModel(ml, model, card with
        {
            TrainingRows = fitRows,
            Trainer = resolved.ToString(),
            ResidualPercentiles = percentiles,
        }, outOfFold);
    }

    // Out-of-block predictions of every row: block k's from a model fitted on the other blocks.
    private static (List<float> Y, List<int> Bin, double[] Predicted, OutOfFold? Models) CrossFit(MLContext ml, ModelCard card, TrainingRows rows, TrainerKind kind, GbmOptions options, int blocks)
    {
        var block = rows.TimeBlocks(blocks);
        var fitted = new ITransformer?[blocks];
        var y = new List<float>(rows.Count);
        var bin = new List<int>(rows.Count);
        var predicted = new List<double>(rows.Count);
        for (int k = 0; k < blocks; k++)
        {
            var fitX = new List<float[]>();
            var fitY = new List<float>();
            var heldX = new List<float[]>();
            for (int i = 0; i < rows.Count; i++)
            {
                if (block[i] == k)
                {
                    heldX.Add(rows.Features[i]);
                    y.Add(rows.Labels[i]);
                    bin.Add(rows.Bins[i]);
                }
                else
                {
                    fitX.Add(rows.Features[i]);
                    fitY.Add(rows.Labels[i]);
                }
            }

            if (heldX.Count > 0 && fitX.Count > 0)
            {
                fitted[k] = Gbm.Fit(ml, fitX, fitY, kind, options);
                predicted.AddRange(Gbm.Predict(ml, fitted[k]!, heldX, card.Features.Count));
            }
            else
            {
                y.RemoveRange(y.Count - heldX.Count, heldX.Count);
                bin.RemoveRange(bin.Count - heldX.Count, heldX.Count);
            }
        }

        var models = fitted.All(m => m is not null) ? new OutOfFold(ml, [.. fitted.Select(m => m!)], rows.Times.Min(), rows.Times.Max(), card.Features.Count) : null;
        return (y, bin, [.. predicted], models);
    }

    /// <summary>
    /// The residual row of bin <paramref name="bin"/> for a forecast whose predicted change (from now) is
    /// <paramref name="predictedChange"/>: the bin itself when the card has no <see cref="ModelCard.ChangeEdges"/>.
    /// </summary>
    public int UncertaintyBin(int bin, double predictedChange)
    {
        int classes = Card.ChangeEdges.Count + 1;
        return (bin * classes) + ChangeClass(Card.ChangeEdges, predictedChange);
    }

    // Fewest residuals a cell's percentiles are measured on.
    private const int MinCellRows = 30;

    private static int ChangeClass(IReadOnlyList<double> edges, double change)
    {
        int c = 0;
        while (c < edges.Count && Math.Abs(change) >= edges[c])
        {
            c++;
        }

        return c;
    }

    // The residuals of cell (bin b, change class c). Too few: the cell borrows from every bin's rows of class c, then of classes c-1
    // and up, and so on, never from classes of smaller changes alone (their narrow residuals would make a big forecast rise look sure).
    private static List<double> CellResiduals(List<(double Residual, int Class)>[] residuals, int b, int c)
    {
        var own = residuals[b].Where(r => r.Class == c).Select(r => r.Residual).ToList();
        if (own.Count >= MinCellRows)
        {
            return own;
        }

        for (int lower = c; lower >= 0; lower--)
        {
            var pooled = residuals.SelectMany(r => r).Where(r => r.Class >= lower).Select(r => r.Residual).ToList();
            if (pooled.Count >= MinCellRows || lower == 0)
            {
                return pooled;
            }
        }

        return own;
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
