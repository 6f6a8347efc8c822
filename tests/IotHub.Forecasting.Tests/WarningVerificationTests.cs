namespace IotHub.Forecasting.Tests;

public sealed class WarningVerificationTests
{
    private const double Threshold = 1.0;

    // 60 rows of 10 minutes at 0.5 m, with the given rows set to the given levels.
    private static double[] Levels(params (int From, int To, double Level)[] spans)
    {
        var level = Enumerable.Repeat(0.5, 60).ToArray();
        foreach (var (from, to, value) in spans)
        {
            for (int i = from; i <= to; i++)
            {
                level[i] = value;
            }
        }

        return level;
    }

    private static Func<int, double> WarnAt(params int[] rows) => i => rows.Contains(i) ? 0.9 : 0.1;

    [Fact]
    public void Score_WarningRenewedWhileInForce_IsOneAlertWithLeadFromItsFirstWarning()
    {
        // Arrange: warnings 50 minutes apart (the first still valid), then the crossing 50 minutes after the second.
        var level = Levels((20, 25, 1.2));

        // Act
        var eventBased = WarningVerification.Score(level, WarnAt(10, 15), Threshold, 0, 60, 0.5, AlertRule.EventBased);
        var legacy = WarningVerification.Score(level, WarnAt(10, 15), Threshold, 0, 60, 0.5, AlertRule.Legacy);

        // Assert
        Assert.Equal((1, 1, 0, 1, 1), (eventBased.Crossings, eventBased.Alerts, eventBased.FalseAlerts, eventBased.Warned, eventBased.WarnedAtLeast30Minutes));
        Assert.Equal([100.0], eventBased.Leads);
        Assert.Equal((2, 0), (legacy.Alerts, legacy.FalseAlerts));
    }

    [Fact]
    public void Score_FlickeringWarningWithNoCrossing_IsOneFalseAlert()
    {
        // Arrange: the level rises to 0.8 m but never reaches the threshold.
        var level = Levels((12, 20, 0.8));

        // Act
        var eventBased = WarningVerification.Score(level, WarnAt(10, 15, 19), Threshold, 0, 60, 0.5, AlertRule.EventBased);
        var legacy = WarningVerification.Score(level, WarnAt(10, 15, 19), Threshold, 0, 60, 0.5, AlertRule.Legacy);

        // Assert
        Assert.Equal((0, 1, 1), (eventBased.Crossings, eventBased.Alerts, eventBased.FalseAlerts));
        Assert.Equal(0.2, eventBased.FalseAlertShortfalls.Single(), 9);
        Assert.Equal((3, 3), (legacy.Alerts, legacy.FalseAlerts));
    }

    [Fact]
    public void Score_WarningBeforeTheThresholdReArmed_IsNotAnAlert()
    {
        // Arrange: a crossing at row 20, a dip to 0.95 m (not 0.1 m below, so not re-armed) with a warning in it, above again at 35.
        var level = Levels((20, 25, 1.2), (26, 34, 0.95), (35, 38, 1.1));

        // Act
        var eventBased = WarningVerification.Score(level, WarnAt(30), Threshold, 0, 60, 0.5, AlertRule.EventBased);
        var legacy = WarningVerification.Score(level, WarnAt(30), Threshold, 0, 60, 0.5, AlertRule.Legacy);

        // Assert: one crossing, unwarned; the legacy rule counted the dip's warning as a false alert.
        Assert.Equal((1, 0, 0, 0), (eventBased.Crossings, eventBased.Alerts, eventBased.FalseAlerts, eventBased.Warned));
        Assert.Equal((1, 1, 1), (legacy.Crossings, legacy.Alerts, legacy.FalseAlerts));
    }

    [Fact]
    public void Score_CrossingAfterTheWarningExpired_IsAMissAndAFalseAlert()
    {
        // Arrange: one warning at row 10 (valid to row 22), the crossing at row 30.
        var level = Levels((30, 33, 1.3));

        // Act
        var scores = WarningVerification.Score(level, WarnAt(10), Threshold, 0, 60, 0.5, AlertRule.EventBased);

        // Assert
        Assert.Equal((1, 1, 1, 0), (scores.Crossings, scores.Alerts, scores.FalseAlerts, scores.Warned));
        Assert.Equal(0, scores.HitRate30);
        Assert.Equal(1, scores.FalseAlarmRatio);
    }

    [Fact]
    public void Events_FalseAlertThenHit_GivesEachAlertsSpanAndEachCrossingsAlert()
    {
        // Arrange: a warning at row 5 that lapses (valid to 17), warnings at 30 and 33, the crossing at 40, an unwarned one at 55.
        var level = Levels((40, 45, 1.2), (55, 59, 1.3));

        // Act
        var (alerts, crossings) = WarningVerification.Events(level, WarnAt(5, 30, 33), Threshold, 0, 60, 0.5);

        // Assert
        Assert.Equal([new AlertSpan(5, 5, -1), new AlertSpan(30, 33, 40)], alerts);
        Assert.Equal([(40, 30), (55, -1)], crossings);
    }
}
