namespace IotHub.Forecasting.Tests;

public sealed class ForecastMetricsTests
{
    [Fact]
    public void Compute_KnownErrors_GivesMaeRmseAndNse()
    {
        double[] actual = [1, 2, 3, 4];
        double[] predicted = [1, 2, 3, 6];

        var m = ForecastMetrics.Compute(actual, predicted);

        Assert.Equal(4, m.Count);
        Assert.Equal(0.5, m.Mae, 6);
        Assert.Equal(1.0, m.Rmse, 6);
        Assert.Equal(1 - (4.0 / 5.0), m.Nse, 6);
    }

    [Fact]
    public void Compute_NaNPairs_AreSkipped()
    {
        var m = ForecastMetrics.Compute([1, double.NaN, 3], [1, 5, double.NaN]);

        Assert.Equal(1, m.Count);
        Assert.Equal(0, m.Mae);
    }
}
