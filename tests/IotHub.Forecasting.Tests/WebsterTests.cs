namespace IotHub.Forecasting.Tests;

public sealed class WebsterTests
{
    [Fact]
    public void Plan_ModerateFlows_UsesWebsterCycleAndProportionalGreens()
    {
        // y = 0.3 + 0.2 = 0.5, L = 10: C0 = (15 + 5) / 0.5 = 40 s; main green = 0.3/0.5 * 30 = 18 s.
        var plan = Webster.Plan(0.3, 0.2, lostTimeSeconds: 10, minCycleSeconds: 30);

        Assert.Equal(40, plan.Cycle.TotalSeconds, 6);
        Assert.Equal(18.0 / 40.0, plan.MainGreenSplit, 6);
        Assert.Equal(12.0 / 40.0, plan.CrossGreenSplit, 6);
        Assert.Equal(0.5, plan.FlowRatioSum, 6);
    }

    [Fact]
    public void Plan_OverCapacity_UsesLongestCycle()
    {
        var plan = Webster.Plan(0.5, 0.45, maxCycleSeconds: 180);

        Assert.Equal(180, plan.Cycle.TotalSeconds, 6);
    }

    [Fact]
    public void Delay_MoreGreen_LessDelay()
    {
        Assert.True(Webster.Delay(120, 0.6, 0.4) < Webster.Delay(120, 0.45, 0.4));
    }
}
