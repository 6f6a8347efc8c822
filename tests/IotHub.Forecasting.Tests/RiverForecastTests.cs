using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting.Tests;

public sealed class RiverForecastTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "iothub-fc-river-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Backtest_DemoCityStorm_BeatsPersistenceAndServesFromSavedFiles()
    {
        // Arrange: the demo city (two gauges) with a storm a day for 6 days; tiny ensembles keep this fast.
        var city = CityScenario.Demo.WithWeather([], randomStormsPerDay: 2);
        var start = new DateTimeOffset(2026, 6, 1, 15, 0, 0, TimeSpan.Zero);
        var frame = CityHistory.Rivers(city, seed: 5, start, days: 6, RadarNowcastErrors.Calibrated);
        var forecaster = new RiverForecaster(city, TrainerKind.Auto, new GbmOptions(Iterations: 40, Leaves: 15, MinLeafCount: 10));
        var folds = Fold.Rolling(frame.Length, trainRows: 4 * 144, testRows: 2 * 144, count: 1);

        // Act
        var backtest = forecaster.Backtest(frame, folds, null);
        foreach (var model in backtest.Models)
        {
            model.Save(_folder);
        }

        var service = new ForecastService(city);
        int loaded = service.Load(_folder);
        var recent = frame.Slice(frame.Length - 30, 30);
        var forecast = service.ForecastRiver("gauge-kanda-2", recent);

        // The probabilities the warnings use: the warning model's forecast (no rainfall-runoff features) and its residuals.
        var warning60 = backtest.Models.Single(m => m.Card.Name == RiverForecaster.WarningName(60));
        var plain = new RiverFeatures(forecaster.Network, recent, physics: false);
        int g = forecaster.Network.Index["gauge-kanda-2"];
        double warningLevel = plain.Level(g, 29) + warning60.Predict(plain.Build(g, 29, 6)!);
        int cell = warning60.UncertaintyBin(plain.Bin(g, 29), warningLevel - plain.Level(g, 29));
        double expected = warning60.ProbabilityAtLeast(cell, warningLevel, city.Rivers.SelectMany(r => r.Gauges).Single(x => x.DeviceId == "gauge-kanda-2").Thresholds.Standby);

        // Assert
        var s30 = backtest.Scores.Single(s => s.HorizonMinutes == 30 && s.Subset == "all");
        Assert.True(s30.Model.Rmse < s30.Persistence.Rmse, $"model {s30.Model.Rmse} vs persistence {s30.Persistence.Rmse}");
        Assert.NotNull(backtest.WorstStorm);
        Assert.Equal(10, loaded);
        Assert.All(backtest.Models.Where(m => m.Card.Target == RiverForecaster.LevelTarget), m => Assert.Equal(RiverFeatures.Names, m.Card.Features));
        Assert.All(backtest.Models.Where(m => m.Card.Target == RiverForecaster.WarningTarget), m => Assert.Equal(RiverFeatures.BaseNames, m.Card.Features));
        Assert.NotNull(forecast);
        Assert.Equal(5, forecast.Horizons.Count);
        Assert.Equal(expected, forecast.Horizons.Single(h => h.HorizonMinutes == 60).ThresholdProbabilities[0], 9);
        Assert.All(forecast.Horizons, h => Assert.True(h.Lower < h.Upper));
        Assert.All(forecast.Horizons, h => Assert.True(h.ThresholdProbabilities[0] >= h.ThresholdProbabilities[3]));
    }

    [Fact]
    public void ProbabilityAtLeast_HigherThreshold_LowerProbability()
    {
        var card = new ModelCard
        {
            Name = "t",
            Target = "t",
            Unit = "m",
            HorizonMinutes = 10,
            Features = ["a"],
            TrainingFrom = default,
            TrainingTo = default,
            TrainingRows = 0,
            Trainer = "",
            ResidualPercentiles = [Enumerable.Range(1, 99).Select(p => (p - 50) / 100.0).ToArray()],
        };
        var model = new HorizonModel(new Microsoft.ML.MLContext(1), null!, card);

        double low = model.ProbabilityAtLeast(0, forecast: 1.0, threshold: 0.9);
        double mid = model.ProbabilityAtLeast(0, forecast: 1.0, threshold: 1.0);
        double high = model.ProbabilityAtLeast(0, forecast: 1.0, threshold: 1.3);

        Assert.True(low > mid && mid > high);
        Assert.Equal(0.5, mid, 1);
    }
}
