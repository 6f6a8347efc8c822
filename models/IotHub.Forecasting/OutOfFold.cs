using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>
/// The models of a cross-fit over a training window cut into equal blocks of time: block k's rows are forecast by the model fitted
/// on every other block, so forecasts over the window are out of fold (as a held-out period would be, from half the data).
/// </summary>
internal sealed class OutOfFold
{
    private readonly MLContext _ml;
    private readonly ITransformer[] _models;
    private readonly long _first;
    private readonly long _last;
    private readonly int _width;

    /// <summary>The cross-fit's <paramref name="models"/> (one per block), over rows whose time keys run from <paramref name="first"/> to <paramref name="last"/>.</summary>
    public OutOfFold(MLContext ml, ITransformer[] models, long first, long last, int width)
    {
        _ml = ml;
        _models = models;
        _first = first;
        _last = last;
        _width = width;
    }

    /// <summary>The block of time key <paramref name="time"/>, as <see cref="TrainingRows.TimeBlocks"/> cuts them (clamped to the window).</summary>
    public int Block(long time)
    {
        double span = Math.Max(1, _last - _first + 1);
        return Math.Clamp((int)((time - _first) / span * _models.Length), 0, _models.Length - 1);
    }

    /// <summary>Out-of-fold predictions of <paramref name="features"/> whose time keys are <paramref name="times"/>.</summary>
    public double[] Predict(IReadOnlyList<float[]> features, IReadOnlyList<long> times)
    {
        var result = new double[features.Count];
        for (int k = 0; k < _models.Length; k++)
        {
            var index = Enumerable.Range(0, features.Count).Where(i => Block(times[i]) == k).ToArray();
            if (index.Length == 0)
            {
                continue;
            }

            var scores = Gbm.Predict(_ml, _models[k], [.. index.Select(i => features[i])], _width);
            for (int n = 0; n < index.Length; n++)
            {
                result[index[n]] = scores[n];
            }
        }

        return result;
    }
}
