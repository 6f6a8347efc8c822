namespace IotHub.Forecasting.Tests;

public sealed class WarningDiagnosisTests
{
    private static readonly DateTimeOffset T0 = new(2026, 7, 7, 13, 0, 0, TimeSpan.Zero);

    private static FalseAlertFacts Alert(double shortfall, double? later = null, double rain = 5) =>
        new("g", 1, T0, shortfall, later, rain, 0.9, 1.0, 0.5);

    [Fact]
    public void Cause_FalseAlerts_SortedByWhatHappenedWhileInForce()
    {
        Assert.StartsWith("threshold reached while in force", WarningDiagnosis.Cause(Alert(0)), StringComparison.Ordinal);
        Assert.StartsWith("threshold reached after", WarningDiagnosis.Cause(Alert(0.5, later: 200)), StringComparison.Ordinal);
        Assert.StartsWith("peak within the gauge's noise", WarningDiagnosis.Cause(Alert(0.005)), StringComparison.Ordinal);
        Assert.StartsWith("near miss", WarningDiagnosis.Cause(Alert(0.05)), StringComparison.Ordinal);
        Assert.StartsWith("forecast rise, but no rain", WarningDiagnosis.Cause(Alert(0.8, rain: 0.2)), StringComparison.Ordinal);
        Assert.StartsWith("rain fell", WarningDiagnosis.Cause(Alert(0.8)), StringComparison.Ordinal);
    }

    [Fact]
    public void Overconfident_NearCertainWithANarrowInterval()
    {
        Assert.True(WarningDiagnosis.Overconfident(Alert(0.5) with { Probability = 0.995, ForecastRise = 1.8, IntervalWidth = 0.1 }));
        Assert.False(WarningDiagnosis.Overconfident(Alert(0.5) with { Probability = 0.995, ForecastRise = 1.8, IntervalWidth = 0.9 }));
        Assert.False(WarningDiagnosis.Overconfident(Alert(0.5) with { Probability = 0.6, ForecastRise = 1.8, IntervalWidth = 0.1 }));
    }

    [Fact]
    public void Cause_MissedCrossings_NoSignThirtyMinutesBeforeIsACellBornOverTheCatchment()
    {
        var unforeseeable = new MissedCrossingFacts("g", 1, T0, 20, 1.4, 0.01, 0, 0, 20, 0, 1.1, 0.005);
        var nearForecast = unforeseeable with { AboveDryAt30 = 0.3, RainHourBefore30 = 8, Forecast30 = 0.05 };
        var shortForecast = nearForecast with { Forecast30 = 0.4 };

        Assert.StartsWith("no sign 30 min before", WarningDiagnosis.Cause(unforeseeable), StringComparison.Ordinal);
        Assert.StartsWith("forecast 30 min before within 0.2 m", WarningDiagnosis.Cause(nearForecast), StringComparison.Ordinal);
        Assert.StartsWith("rain or radar rain shown", WarningDiagnosis.Cause(shortForecast), StringComparison.Ordinal);
    }

    [Fact]
    public void Storms_AlertsWithinThreeHoursAreOneStorm()
    {
        DateTimeOffset[] times = [T0, T0.AddMinutes(10), T0.AddHours(2), T0.AddHours(6), T0.AddDays(3)];

        Assert.Equal(3, WarningDiagnosis.Storms(times));
    }
}
