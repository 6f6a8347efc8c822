using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting.Tests;

public sealed class FeatureLeakAndCrowdingTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "iothub-fc-crowding-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void RiverFeatures_RowsAfterTheOriginChanged_FeaturesAtTheOriginUnchanged()
    {
        // Arrange: the demo city's storm; an origin while it rains.
        var start = new DateTimeOffset(2026, 6, 1, 15, 0, 0, TimeSpan.Zero);
        var frame = CityHistory.Rivers(CityScenario.Demo, seed: 5, start, days: 1, RadarNowcastErrors.Calibrated);
        var network = new RiverNetwork(CityScenario.Demo);
        int origin = 30;
        var changed = frame.Slice(0, frame.Length);
        foreach (var gauge in network.Gauges)
        {
            for (int i = origin + 1; i < frame.Length; i++)
            {
                changed[RiverColumns.Level(gauge.DeviceId)][i] += 3;
                changed[RiverColumns.Rain10Min(gauge.DeviceId)][i] = 40;
                for (int n = 0; n < RiverColumns.RainNowcastIntervals; n++)
                {
                    changed[RiverColumns.RainNowcast(gauge.DeviceId, n)][i] = 9;
                }
            }
        }

        // Act
        var before = new RiverFeatures(network, frame);
        var after = new RiverFeatures(network, changed);

        // Assert: the nowcasts (the gauges' field moved along, the relayed radar one) and the rainfall-runoff forecast read nothing after the origin.
        Assert.True(frame[RiverColumns.Rain10Min("gauge-kanda-1")].Take(origin + 1).Sum() > 1, "no rain before the origin");
        for (int g = 0; g < network.Gauges.Length; g++)
        {
            foreach (int steps in new[] { 1, 6, 12 })
            {
                Assert.Equal(before.Build(g, origin, steps), after.Build(g, origin, steps));
            }
        }
    }

    [Fact]
    public void TrainCrowding_DemoWeekdays_TableServedAndRunningTripNowcastScaledByTheLoadsSeen()
    {
        // Arrange: two weeks of the demo city's train (8 cars), its weekdays.
        var city = CityScenario.Demo;
        var weekdays = ServingTraining.SimulateWeekdays(city, seed: 3, new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.FromHours(9)), days: 14);
        var card = ServingTraining.TrainCrowding(city, weekdays, _folder, new GbmOptions(Iterations: 40), CancellationToken.None);
        var service = new ForecastService(city);
        service.Load(_folder);
        var date = new DateOnly(2026, 6, 15);
        var at = new DateTimeOffset(2026, 6, 15, 8, 30, 0, TimeSpan.FromHours(9));
        var dayAhead = service.ForecastCrowding("shinjuku", 1, date, [], at)!;

        // Act: the cars report 20% above the day ahead over the half hour before the origin.
        var seen = dayAhead.Departures.Where(d => d.Time > at.AddMinutes(-30) && d.Time <= at).Select(d => (d.Time.AddSeconds(20), d.Car, d.DayAhead * 1.2)).ToList();
        var nowcast = service.ForecastCrowding("shinjuku", 1, date, seen, at)!;

        // Assert
        Assert.Equal("crowding-car-load-day-ahead", card.Name);
        Assert.Equal(8, dayAhead.Departures.Select(d => d.Car).Distinct().Count());
        Assert.Null(dayAhead.RunningTrip);
        Assert.All(dayAhead.Departures, d => Assert.Null(d.Nowcast));
        Assert.NotEmpty(seen);
        Assert.Equal(1.2, nowcast.Scale!.Value, 3);
        var ahead = nowcast.Departures.Where(d => d.Nowcast is not null).ToList();
        Assert.NotEmpty(ahead);
        Assert.All(ahead, d => Assert.True(d.Trip == nowcast.RunningTrip && d.Time > at));
        Assert.All(ahead, d => Assert.Equal(d.DayAhead * 1.2, d.Nowcast!.Value, 6));
        Assert.Null(service.ForecastCrowding("shinjuku", 2, date, [], at));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(20, 1)]
    [InlineData(40, 2)]
    [InlineData(100, 3)]
    [InlineData(180, 4)]
    [InlineData(250, 5)]
    public void OccupancyStatus_LoadFactor_GtfsRealtimeCode(double loadFactor, int code) =>
        Assert.Equal(code, Occupancy.Status(loadFactor).Code);
}
