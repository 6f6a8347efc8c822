using Microsoft.ML;

namespace IotHub.Forecasting.Tests;

/// <summary>The cross-fit's out-of-fold forecasts, and how the warning probability is chosen from them.</summary>
public sealed class WarningChoiceTests
{
    [Fact]
    public void OutOfFold_TwoBlocks_EachBlockForecastByTheModelFittedOnTheOther()
    {
        // Arrange: the label is 0 in the first half of the window and 1 in the second (plus a little of the feature, which cannot
        // tell the halves apart).
        var random = new Random(2);
        var rows = new TrainingRows();
        for (int i = 0; i < 1000; i++)
        {
            float x = (float)random.NextDouble();
            rows.Add([x], (i < 500 ? 0 : 1) + (0.1 * x), 0, i);
        }

        var card = new ModelCard
        {
            Name = "river-test", Target = RiverForecaster.WarningTarget, Unit = "m", HorizonMinutes = 60, Features = ["noise"],
            TrainingFrom = default, TrainingTo = default, TrainingRows = 0, Trainer = "", ResidualPercentiles = [],
        };

        // Act
        var model = HorizonModel.Train(new MLContext(seed: 1), card, rows, TrainerKind.Auto, new GbmOptions(Iterations: 20, Leaves: 4, MinLeafCount: 10), bins: 1, crossFitBlocks: 2);
        var early = model.OutOfFoldModels!.Predict([[0.5f]], [100]);
        var late = model.OutOfFoldModels.Predict([[0.5f]], [900]);

        // Assert: the early row is forecast from the late half (about 1.05) and the late row from the early half (about 0.05).
        Assert.InRange(early[0], 0.9, 1.2);
        Assert.InRange(late[0], -0.1, 0.2);
        Assert.Null(HorizonModel.Train(new MLContext(seed: 1), card, rows, TrainerKind.Auto, new GbmOptions(Iterations: 20, Leaves: 4, MinLeafCount: 10), bins: 1).OutOfFoldModels);
    }

    [Theory]
    [InlineData(10, 8, 10, 2, 1.0)]
    [InlineData(10, 4, 10, 2, 0.5)]
    [InlineData(10, 8, 10, 6, 0.5)]
    [InlineData(0, 0, 0, 0, 0.0)]
    public void Balance_SmallerShareOverItsTarget(int crossings, int warned30, int alerts, int falseAlerts, double expected)
    {
        var scores = new CrossingScores(crossings, warned30, warned30, alerts, falseAlerts, 30, 0.5, [], []);

        Assert.Equal(expected, RiverForecaster.Balance(scores), 9);
    }
}
