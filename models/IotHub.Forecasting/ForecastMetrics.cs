namespace IotHub.Forecasting;

/// <summary>Accuracy of a forecast against what happened: MAE, RMSE and Nash-Sutcliffe efficiency.</summary>
/// <param name="Count">Pairs compared.</param>
/// <param name="Mae">Mean absolute error, in the target's unit.</param>
/// <param name="Rmse">Root mean squared error, in the target's unit.</param>
/// <param name="Nse">1 - SSE / variance of the actuals around their mean; 1 is perfect, 0 is no better than the mean.</param>
public sealed record ForecastMetrics(int Count, double Mae, double Rmse, double Nse)
{
    /// <summary>Metrics of <paramref name="predicted"/> against <paramref name="actual"/>, skipping pairs with a NaN.</summary>
    public static ForecastMetrics Compute(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        if (actual.Length != predicted.Length)
        {
            throw new ArgumentException("actual and predicted must have the same length.", nameof(predicted));
        }

        int n = 0;
        double sumAbs = 0, sumSq = 0, sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (double.IsNaN(actual[i]) || double.IsNaN(predicted[i]))
            {
                continue;
            }

            double e = predicted[i] - actual[i];
            sumAbs += Math.Abs(e);
            sumSq += e * e;
            sum += actual[i];
            n++;
        }

        if (n == 0)
        {
            return new ForecastMetrics(0, double.NaN, double.NaN, double.NaN);
        }

        double mean = sum / n;
        double variance = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (!double.IsNaN(actual[i]) && !double.IsNaN(predicted[i]))
            {
                double d = actual[i] - mean;
                variance += d * d;
            }
        }

        double nse = variance > 0 ? 1 - (sumSq / variance) : double.NaN;
        return new ForecastMetrics(n, sumAbs / n, Math.Sqrt(sumSq / n), nse);
    }
}
