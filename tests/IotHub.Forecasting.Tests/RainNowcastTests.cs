using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting.Tests;

public sealed class RainNowcastTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 15, 0, 0, TimeSpan.Zero);

    // One convective cell: starts 30 min in, rains 90 min, drifts east at 12 km/h through the demo's first gauge.
    private static CityScenario OneCell(GeoPoint through, TimeSpan startsAfter)
    {
        var start = through.Offset(-12 * 0.75, 0);
        var cell = new StormCell(startsAfter, TimeSpan.FromMinutes(90), start, 12, 0, 60, 3);
        var demo = CityScenario.Demo;
        return new CityScenario("one-cell", demo.Rivers, [], [], [], [], [cell], 0);
    }

    [Fact]
    public void RainNowcastAt_PerfectTrackingWhileTheCellHolds_ForecastsTheRainThatFalls()
    {
        // Arrange: issue 40 min after the start (the cell has grown to its peak), look 20 min ahead.
        var gauge = CityScenario.Demo.Rivers[0].Gauges[0];
        var sim = new CitySimulation(OneCell(gauge.Location, TimeSpan.FromMinutes(30)), seed: 1, Start, RadarNowcastErrors.ExtrapolationOnly);
        sim.AdvanceTo(Start.AddMinutes(50));

        // Act
        double forecast = sim.RainNowcastAt(gauge.Location, 20);
        sim.AdvanceTo(Start.AddMinutes(70));
        double actual = sim.RainAt(gauge.Location);

        // Assert
        Assert.True(actual > 10, $"the cell should rain on the gauge ({actual:F1} mm/h)");
        Assert.Equal(actual, forecast, 6);
    }

    [Fact]
    public void RainNowcastAt_CellStartsAfterTheIssue_MissedThenSeen()
    {
        // Arrange: the cell starts 30 min in; issue at 20 min.
        var gauge = CityScenario.Demo.Rivers[0].Gauges[0];
        var sim = new CitySimulation(OneCell(gauge.Location, TimeSpan.FromMinutes(30)), seed: 1, Start, RadarNowcastErrors.Calibrated);
        sim.AdvanceTo(Start.AddMinutes(20));

        // Act
        double before = Enumerable.Range(1, 60).Max(m => sim.RainNowcastAt(gauge.Location, m));
        sim.AdvanceTo(Start.AddMinutes(50));
        double after = Enumerable.Range(0, 30).Max(m => sim.RainNowcastAt(gauge.Location, m));

        // Assert: convective initiation is not nowcast; once the cell rains it is.
        Assert.Equal(0, before);
        Assert.True(after > 10, $"a raining cell should be nowcast ({after:F1} mm/h)");
    }

    [Fact]
    public void Read_RiverGauge_RelaysTheCatchmentNowcastInTheKindsFields()
    {
        // Arrange
        var gauge = CityScenario.Demo.Rivers[0].Gauges[0];
        var sim = new CitySimulation(OneCell(gauge.Location, TimeSpan.FromMinutes(30)), seed: 1, Start);
        sim.AdvanceTo(Start.AddMinutes(50));

        // Act
        var reading = sim.Read(gauge.DeviceId);

        // Assert: every field is the kind's, in its order, and the nowcast sees rain coming.
        Assert.Equal(DeviceKinds.RiverGauge.Fields.Select(f => f.Name), reading.Select(r => r.Key));
        double nowcast = DeviceKinds.RainNowcastFields.Sum(name => (double)reading.Single(r => r.Key == name).Value);
        Assert.True(nowcast > 1, $"an hour's nowcast should hold the cell's rain ({nowcast:F1} mm)");
    }

    [Fact]
    public void Verify_CalibratedNowcast_LosesSkillWithLeadAndBeatsPersistence()
    {
        // Arrange: two weeks of the demo city's weather.
        var variants = new List<(string, RadarNowcastErrors)> { ("calibrated", RadarNowcastErrors.Calibrated) };

        // Act
        var rows = NowcastVerification.Run(CityScenario.Demo, seed: 7, Start, days: 14, variants);

        // Assert
        var calibrated = rows[0].Skill;
        var persistence = rows[^1].Skill;
        Assert.True(calibrated[0].Samples > 50, "too little rain to verify");
        Assert.True(calibrated[0].Correlation > calibrated[^1].Correlation, "skill should fall with lead");
        Assert.True(calibrated[2].Correlation > persistence[2].Correlation, "at 30 min the radar should beat the last 10 minutes going on");
    }
}
