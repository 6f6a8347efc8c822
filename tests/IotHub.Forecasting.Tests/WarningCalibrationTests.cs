using Microsoft.ML;

namespace IotHub.Forecasting.Tests;

/// <summary>
/// The river warnings' probabilities come from residual percentiles. These tests pin the two faults the diagnosis found: residuals
/// of calm weather made forecasts of a big rise near certain, and residuals measured only on the window's last 15 % held no storm.
/// </summary>
public sealed class WarningCalibrationTests
{
    // 2,000 rows over time: feature 0 = 1 marks a "storm" row whose change is 0.5 or 1.5 m at random (the features cannot say
    // which: the forecast is about 1 m with an error of about +-0.5 m); calm rows change by a few millimetres.
    private static TrainingRows Rows(Func<int, bool> storm)
    {
        var random = new Random(3);
        var rows = new TrainingRows();
        for (int i = 0; i < 2000; i++)
        {
            bool s = storm(i);
            double label = s ? (random.NextDouble() < 0.5 ? 0.5 : 1.5) : 0.004 * (random.NextDouble() - 0.5);
            rows.Add([s ? 1f : 0f, (float)random.NextDouble()], label, 0, i);
        }

        return rows;
    }

    private static ModelCard Card(IReadOnlyList<double> changeEdges) => new()
    {
        Name = "river-test",
        Target = "river.warning",
        Unit = "m",
        HorizonMinutes = 60,
        Features = ["storm", "noise"],
        TrainingFrom = default,
        TrainingTo = default,
        TrainingRows = 0,
        Trainer = "",
        ResidualPercentiles = [],
        ChangeEdges = changeEdges,
    };

    private static double StormProbability(HorizonModel model, double above)
    {
        double change = model.Predict([1f, 0.5f]);
        return model.ProbabilityAtLeast(model.UncertaintyBin(0, change), change, change + above);
    }

    private static HorizonModel Train(TrainingRows rows, IReadOnlyList<double> edges, int crossFitBlocks) =>
        HorizonModel.Train(new MLContext(seed: 1), Card(edges), rows, TrainerKind.Auto, new GbmOptions(Iterations: 30, Leaves: 4, MinLeafCount: 10), bins: 1, crossFitBlocks);

    [Fact]
    public void Train_ChangeEdges_ForecastOfABigRiseGetsTheStormsSpreadNotTheCalmOne()
    {
        // Arrange: one storm row in ten, spread over the whole window (so the last 15 % has storms too).
        var rows = Rows(i => i % 10 == 0);

        // Act
        var split = Train(rows, RiverForecaster.ChangeEdges, crossFitBlocks: 0);
        var pooled = Train(rows, [], crossFitBlocks: 0);

        // Assert: 0.3 m above a forecast whose error is +-0.5 m is reached about half the time, not never.
        double p = StormProbability(split, 0.3);
        Assert.InRange(p, 0.2, 0.8);
        Assert.True(StormProbability(pooled, 0.3) < 0.1, "the calm residuals' narrow percentiles would make it near impossible");
    }

    [Fact]
    public void Train_CrossFitted_StormsOnlyEarlyInTheWindowStillGiveTheirSpread()
    {
        // Arrange: storm rows only in the first 70 % of the window (in both cross-fit blocks): the last 15 % holds none.
        var rows = Rows(i => i < 1400 && i % 5 == 0);

        // Act
        var crossFitted = Train(rows, RiverForecaster.ChangeEdges, RiverForecaster.CrossFitBlocks);
        var lastPart = Train(rows, RiverForecaster.ChangeEdges, crossFitBlocks: 0);

        // Assert
        Assert.InRange(StormProbability(crossFitted, 0.3), 0.1, 0.9);
        double p = StormProbability(lastPart, 0.3);
        Assert.True(p < 0.1 || p > 0.9, $"without storms to calibrate on, the probability is near certain either way ({p})");
    }

    [Fact]
    public void UncertaintyBin_NoChangeEdges_IsTheBin()
    {
        var model = new HorizonModel(new MLContext(1), null!, Card([]) with { ResidualPercentiles = [new double[99], new double[99]] });
        var split = new HorizonModel(new MLContext(1), null!, Card([0.05, 0.2, 0.5]));

        Assert.Equal(1, model.UncertaintyBin(1, 2.0));
        Assert.Equal((0, 3, 4 + 2, 8 + 1), (split.UncertaintyBin(0, 0.01), split.UncertaintyBin(0, -0.7), split.UncertaintyBin(1, 0.3), split.UncertaintyBin(2, 0.1)));
    }
}
