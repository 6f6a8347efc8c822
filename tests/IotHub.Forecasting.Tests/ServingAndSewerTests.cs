using IotHub.City;

namespace IotHub.Forecasting.Tests;

public sealed class ServingAndSewerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "iothub-fc-serving-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void TrainRivers_SimulatedDemoCity_WritesModelsTheServiceLoadsAndServes()
    {
        var city = CityScenario.Demo.WithWeather([], randomStormsPerDay: 2);
        var frame = ServingTraining.SimulateRivers(city, seed: 4, new DateTimeOffset(2026, 6, 1, 15, 0, 0, TimeSpan.Zero), days: 4);
        var steps = new List<TrainingProgress>();

        var cards = ServingTraining.TrainRivers(city, frame, _folder, new GbmOptions(Iterations: 30, Leaves: 15, MinLeafCount: 10), new InlineProgress<TrainingProgress>(steps.Add), CancellationToken.None);
        var service = new ForecastService(city);
        int loaded = service.Load(_folder);
        var forecast = service.ForecastRiver("gauge-kanda-1", frame.Slice(frame.Length - ServingTraining.RiverHistoryRows, ServingTraining.RiverHistoryRows));

        // A level and a warning model per horizon; warnings at the probability on the cards.
        Assert.Equal([10, 30, 60, 90, 120, 10, 30, 60, 90, 120], cards.Select(c => c.HorizonMinutes));
        Assert.Equal(5, cards.Count(c => c.Target == RiverForecaster.WarningTarget));
        Assert.Equal(10, loaded);
        Assert.Equal(cards.First(c => c.Target == RiverForecaster.WarningTarget).WarningProbability, service.ChosenWarningProbability);
        Assert.Contains(service.ChosenWarningProbability, RiverForecaster.CandidateProbabilities);
        Assert.NotNull(forecast);
        Assert.Equal(frame[RiverColumns.Level("gauge-kanda-1")][^1], forecast.Level);
        Assert.Equal(11, steps.Count);
        Assert.Equal(100, steps[^1].Percent);
        Assert.True(steps.Zip(steps.Skip(1)).All(p => p.First.Percent < p.Second.Percent));
    }

    [Fact]
    public void TrainRivers_WrongStepOrTooShortOrMissingGauge_SaysWhich()
    {
        var start = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var hourly = new SeriesFrame(start, TimeSpan.FromHours(1), 100);
        var shortFrame = new SeriesFrame(start, RiverColumns.Step, 144);
        var noGauge = new SeriesFrame(start, RiverColumns.Step, 3 * 144);
        noGauge.AddColumn(RiverColumns.Level("gauge-kanda-1"));

        var step = Assert.Throws<ArgumentException>(() => ServingTraining.TrainRivers(CityScenario.Demo, hourly, _folder, null, null, CancellationToken.None));
        var length = Assert.Throws<ArgumentException>(() => ServingTraining.TrainRivers(CityScenario.Demo, shortFrame, _folder, null, null, CancellationToken.None));
        var gauge = Assert.Throws<ArgumentException>(() => ServingTraining.TrainRivers(CityScenario.Demo, noGauge, _folder, null, null, CancellationToken.None));

        Assert.Contains("10-minute rows", step.Message, StringComparison.Ordinal);
        Assert.Contains("at least 2 days", length.Message, StringComparison.Ordinal);
        Assert.Contains("gauge-kanda-2", gauge.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_folder));
    }

    [Fact]
    public void SewerBacktest_DemoCityStorms_BeatsPersistenceInRain()
    {
        // The demo city's two manholes and two rain gauges, two storms a day for 8 days; tiny ensembles keep this fast.
        var city = CityScenario.Demo.WithWeather([], randomStormsPerDay: 2);
        var frame = CityHistory.Sewers(city, seed: 6, new DateTimeOffset(2026, 7, 1, 15, 0, 0, TimeSpan.Zero), days: 8, manholesPerDistrict: 2);
        var forecaster = new SewerForecaster(city, TrainerKind.Auto, new GbmOptions(Iterations: 60, Leaves: 15, MinLeafCount: 10));
        var folds = Fold.Rolling(frame.Length, trainRows: 6 * 288, testRows: 2 * 288, count: 1);

        var backtest = forecaster.Backtest(frame, folds, null);

        Assert.Equal(4, backtest.Scores.Count);
        Assert.Equal(["sewer-level-010min", "sewer-level-030min"], backtest.Models.Select(m => m.Card.Name));
        var rain10 = backtest.Scores.Single(s => s.HorizonMinutes == 10 && s.Subset == "rain");
        Assert.True(rain10.Model.Rmse < rain10.Persistence.Rmse, $"model {rain10.Model.Rmse} vs persistence {rain10.Persistence.Rmse}");
        Assert.All(backtest.Models, m => Assert.Equal(SewerFeatures.Names.Length, m.Card.Features.Count));
    }

    [Theory]
    [InlineData(8, 0)]
    [InlineData(16, 1)]
    [InlineData(24, 2)]
    public void RainNowcast_CellDriftingEast_MotionMatchesItsSpeed(double eastKmH, int expected)
    {
        // A Gaussian rain cell (radius 6 km) crossing the default city's rain gauges from the west.
        var gauges = CityScenario.Default.Rivers.SelectMany(r => r.Gauges).ToList();
        var start = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero);
        var frame = new SeriesFrame(start, RiverColumns.Step, 24);
        var centre = new GeoPoint(35.69, 139.70);
        foreach (var gauge in gauges)
        {
            var rain = frame.AddColumn(RiverColumns.Rain10Min(gauge.DeviceId));
            for (int i = 0; i < frame.Length; i++)
            {
                double hours = (i - 12) / 6.0;
                var (east, north) = centre.Offset(eastKmH * hours, 3 * hours).OffsetKm(gauge.Location);
                rain[i] = 10 * Math.Exp(-((east * east) + (north * north)) / (2 * 36));
            }
        }

        var nowcast = new RainNowcast(gauges, frame);

        Assert.Equal(expected, nowcast.Motion(12));
        Assert.Equal(RainNowcast.Speeds[1], RainNowcast.Speeds[nowcast.Motion(1)]);
    }
}
