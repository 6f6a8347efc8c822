using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>
/// The probability that a gauge reaches one of its thresholds within 120 minutes, learned on the outcome itself: a tree
/// ensemble regressed on 0/1 (an estimate of the conditional probability) over the warning models' out-of-fold forecasts of a
/// whole training window, with the margin to the threshold, each horizon's forecast over it and its residual probability, and
/// the warning features at 60 minutes (recent rises, rain, the radar nowcast, upstream flows).
/// </summary>
internal sealed class CrossingProbability
{
    /// <summary>Spans of time the training window is cut into for the out-of-fold forecasts.</summary>
    public const int Blocks = 3;

    private const int LookaheadRows = 12;

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly int _width;

    private CrossingProbability(MLContext ml, ITransformer model, int width)
    {
        _ml = ml;
        _model = model;
        _width = width;
    }

    /// <summary>Rows whose origin is this dry and this unlikely to reach the threshold are left out and get probability 0.</summary>
    private static bool Considered(int bin, double maxProbability) => bin > 0 || maxProbability >= 0.01;

    /// <summary>Fits on rows [from, to) from out-of-fold forecasts of the warning models.</summary>
    public static CrossingProbability Train(RiverForecaster forecaster, RiverFeatures plain, SeriesFrame frame, int from, int to, GbmOptions options, TrainerKind trainer)
    {
        var network = forecaster.Network;
        var (oof, models, starts) = forecaster.OutOfFold(plain, frame, from, to, Blocks);
        var x = new List<float[]>();
        var y = new List<float>();
        for (int g = 0; g < network.Gauges.Length; g++)
        {
            var level = frame[RiverColumns.Level(network.Gauges[g].DeviceId)];
            var thresholds = Thresholds(network, g);
            for (int b = 0; b < Blocks; b++)
            {
                for (int k = 0; k < thresholds.Length; k++)
                {
                    var armed = Armed(level, thresholds[k], starts[b], starts[b + 1]);
                    for (int i = Math.Max(starts[b], from + RiverFeatures.History); i + LookaheadRows < starts[b + 1]; i++)
                    {
                        if (!armed[i - starts[b]] || Row(plain, models[b], oof, g, i, k, thresholds[k]) is not { } row)
                        {
                            continue;
                        }

                        bool reached = false;
                        for (int j = i + 1; j <= i + LookaheadRows && !reached; j++)
                        {
                            reached = level[j] >= thresholds[k];
                        }

                        x.Add(row);
                        y.Add(reached ? 1 : 0);
                    }
                }
            }
        }

        var ml = new MLContext(seed: 1);
        return new CrossingProbability(ml, Gbm.Fit(ml, x, y, trainer, options), x.Count > 0 ? x[0].Length : 0);
    }

    /// <summary>Probability of reaching each threshold within 120 minutes, [threshold][row] over rows [from, to) (0 elsewhere).</summary>
    public double[][] Predict(RiverNetwork network, RiverFeatures plain, HorizonModel[] models, double[][][] predicted, int g, int from, int to, int length)
    {
        var thresholds = Thresholds(network, g);
        var result = new double[thresholds.Length][];
        for (int k = 0; k < thresholds.Length; k++)
        {
            result[k] = new double[length];
            var rows = new List<float[]>();
            var where = new List<int>();
            for (int i = from; i < to; i++)
            {
                if (Row(plain, models, predicted, g, i, k, thresholds[k]) is { } row)
                {
                    rows.Add(row);
                    where.Add(i);
                }
            }

            var p = rows.Count > 0 ? Gbm.Predict(_ml, _model, rows, _width) : [];
            for (int n = 0; n < p.Length; n++)
            {
                result[k][where[n]] = Math.Clamp(p[n], 0, 1);
            }
        }

        return result;
    }

    private static double[] Thresholds(RiverNetwork network, int g)
    {
        var t = network.Gauges[g].Thresholds;
        return [t.Standby, t.FloodCaution, t.EvacuationJudgement, t.FloodDanger];
    }

    // Whether each row of [from, to) may be warned of: below the threshold and re-armed since the last crossing.
    private static bool[] Armed(double[] level, double threshold, int from, int to)
    {
        var armed = new bool[to - from];
        bool state = level[from] < threshold;
        for (int i = from; i < to; i++)
        {
            if (state && level[i] >= threshold)
            {
                state = false;
            }
            else if (!state && level[i] < threshold - WarningVerification.RearmMargin)
            {
                state = true;
            }

            armed[i - from] = state && !double.IsNaN(level[i]);
        }

        return armed;
    }

    private static float[]? Row(RiverFeatures plain, HorizonModel[] models, double[][][] predicted, int g, int i, int k, double threshold)
    {
        int bin = plain.Bin(g, i);
        double level = plain.Level(g, i);
        if (double.IsNaN(level) || level >= threshold)
        {
            return null;
        }

        var extra = new float[3 + (2 * models.Length)];
        double maxP = 0;
        int n = 0;
        extra[n++] = k;
        extra[n++] = (float)(threshold - level);
        for (int h = 0; h < models.Length; h++)
        {
            double f = predicted[h][g][i];
            double p = double.IsNaN(f) ? double.NaN : models[h].ProbabilityAtLeast(bin, f, threshold);
            extra[n++] = (float)(f - threshold);
            extra[n++] = (float)p;
            maxP = double.IsNaN(p) ? maxP : Math.Max(maxP, p);
        }

        extra[n] = (float)maxP;
        if (!Considered(bin, maxP) || plain.Build(g, i, 6) is not { } features)
        {
            return null;
        }

        return [.. extra, .. features];
    }
}
