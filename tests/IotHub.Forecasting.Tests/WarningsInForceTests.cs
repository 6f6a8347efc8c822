using IotHub.City;

namespace IotHub.Forecasting.Tests;

public sealed class WarningsInForceTests
{
    private const string Gauge = "gauge-a";
    private static readonly DateTimeOffset T0 = new(2026, 7, 1, 3, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, GaugeThresholds> Thresholds = new() { [Gauge] = new(1.0, 2.0, 3.0, 4.0) };

    private static Dictionary<string, double> Level(double metres) => new() { [Gauge] = metres };

    private static ThresholdWarning Standby(int minutesAhead) =>
        new(Gauge, 1, "standby", 1.0, 0.8, minutesAhead, $"{Gauge} will reach its standby level in about {minutesAhead} minutes");

    [Fact]
    public void Update_WarningMissingFromOneEvaluation_AlertStaysInForceAndIsRenewedNotRaisedAgain()
    {
        // Arrange
        var book = new WarningsInForce();
        var first = book.Update(T0, Level(0.6), Thresholds, [Standby(60)]);

        // Act: one evaluation without the warning, then the warning again.
        var gap = book.Update(T0.AddMinutes(10), Level(0.62), Thresholds, []);
        var again = book.Update(T0.AddMinutes(20), Level(0.65), Thresholds, [Standby(40)]);

        // Assert
        Assert.Single(first.Raised);
        Assert.Empty(gap.Raised);
        Assert.Empty(gap.Ended);
        Assert.Single(book.Alerts);
        Assert.Empty(again.Raised);
        var alert = Assert.Single(book.Alerts);
        Assert.Equal((T0, T0.AddMinutes(20), T0.AddMinutes(140), 40), (alert.Since, alert.LastWarnedAt, alert.ValidUntil, alert.Warning.MinutesAhead));
    }

    [Fact]
    public void Update_NoWarningFor120Minutes_AlertLapses()
    {
        // Arrange
        var book = new WarningsInForce();
        book.Update(T0, Level(0.6), Thresholds, [Standby(60)]);

        // Act
        var atLimit = book.Update(T0.AddMinutes(120), Level(0.6), Thresholds, []);
        var after = book.Update(T0.AddMinutes(121), Level(0.6), Thresholds, []);

        // Assert
        Assert.Empty(atLimit.Ended);
        var (alert, end) = Assert.Single(after.Ended);
        Assert.Equal((AlertEnd.Lapsed, T0), (end, alert.Since));
        Assert.Empty(book.Alerts);
    }

    [Fact]
    public void Update_LevelReachesThreshold_AlertEndsAsReachedAndNoNewAlertUntilRearmed()
    {
        // Arrange
        var book = new WarningsInForce();
        book.Update(T0, Level(0.8), Thresholds, [Standby(30)]);

        // Act: the level crosses, falls back to just under the threshold (not re-armed) and a forecast warns again;
        // then it falls 0.1 m below it (re-armed) and a forecast warns again.
        var crossed = book.Update(T0.AddMinutes(30), Level(1.05), Thresholds, []);
        var notRearmed = book.Update(T0.AddMinutes(60), Level(0.95), Thresholds, [Standby(20)]);
        var rearmed = book.Update(T0.AddMinutes(90), Level(0.85), Thresholds, [Standby(20)]);

        // Assert
        Assert.Equal(AlertEnd.Reached, Assert.Single(crossed.Ended).End);
        Assert.Empty(notRearmed.Raised);
        Assert.Single(rearmed.Raised);
        Assert.Equal(T0.AddMinutes(90), Assert.Single(book.Alerts).Since);
    }

    [Fact]
    public void Update_UnknownLevelAndSeveralThresholds_KeepsArmingAndOrdersMostSevereFirst()
    {
        // Arrange
        var book = new WarningsInForce();
        var caution = new ThresholdWarning(Gauge, 2, "flood caution", 2.0, 0.7, 90, "caution");

        // Act
        book.Update(T0, new Dictionary<string, double> { [Gauge] = double.NaN }, Thresholds, [Standby(30), caution]);

        // Assert
        Assert.Equal([2, 1], book.Alerts.Select(a => a.Warning.Threshold));
    }
}
