namespace IotHub.Forecasting;

/// <summary>
/// Webster's signal timing for a two-phase intersection (DOMAIN.md): optimum cycle
/// C0 = (1.5 L + 5) / (1 - Y), effective green per phase g_i = (y_i / Y)(C - L), and Webster's
/// delay formula for the expected delay per vehicle.
/// </summary>
public static class Webster
{
    /// <summary>Saturation flow per lane, vehicles per hour of green (DOMAIN.md).</summary>
    public const double SaturationFlow = 2000;

    /// <summary>Above this total flow ratio the intersection is treated as over capacity: the longest cycle, greens in proportion.</summary>
    public const double OverCapacity = 0.9;

    /// <summary>The timing for critical flow ratios <paramref name="mainFlowRatio"/> and <paramref name="crossFlowRatio"/> (q / s of each phase's critical lane).</summary>
    /// <param name="mainFlowRatio">y of the detector-equipped approach.</param>
    /// <param name="crossFlowRatio">y of the conflicting phase.</param>
    /// <param name="lostTimeSeconds">Lost time per cycle, L (start-up and clearance of both phases). Default 10 s.</param>
    /// <param name="minCycleSeconds">Shortest cycle allowed (pedestrian crossing time). Default 40 s.</param>
    /// <param name="maxCycleSeconds">Longest cycle allowed. Default 180 s.</param>
    public static SignalTiming Plan(double mainFlowRatio, double crossFlowRatio, double lostTimeSeconds = 10, double minCycleSeconds = 40, double maxCycleSeconds = 180)
    {
        double ym = Math.Max(0.01, mainFlowRatio);
        double yc = Math.Max(0.01, crossFlowRatio);
        double y = ym + yc;
        double cycle = y >= OverCapacity ? maxCycleSeconds : ((1.5 * lostTimeSeconds) + 5) / (1 - y);
        cycle = Math.Clamp(cycle, minCycleSeconds, maxCycleSeconds);
        double mainGreen = ym / y * (cycle - lostTimeSeconds);
        double split = Math.Clamp(mainGreen / cycle, 0.05, 0.95);
        double crossSplit = Math.Clamp((cycle - lostTimeSeconds - mainGreen) / cycle, 0.05, 0.95);
        return new SignalTiming(TimeSpan.FromSeconds(Math.Round(cycle)), split, crossSplit, y, Delay(cycle, split, ym), Delay(cycle, crossSplit, yc));
    }

    /// <summary>
    /// Webster's average delay per vehicle, seconds, for a cycle of <paramref name="cycleSeconds"/>, green ratio
    /// <paramref name="greenRatio"/> and flow ratio <paramref name="flowRatio"/> of one lane; the degree of saturation is capped at 0.98.
    /// </summary>
    public static double Delay(double cycleSeconds, double greenRatio, double flowRatio)
    {
        double lambda = greenRatio;
        double q = flowRatio * SaturationFlow / 3600; // vehicles per second
        if (q <= 0)
        {
            return 0;
        }

        double x = Math.Min(0.98, flowRatio / lambda);
        double uniform = cycleSeconds * (1 - lambda) * (1 - lambda) / (2 * (1 - (lambda * x)));
        double random = x * x / (2 * q * (1 - x));
        double correction = 0.65 * Math.Cbrt(cycleSeconds / (q * q)) * Math.Pow(x, 2 + (5 * lambda));
        return Math.Max(0, uniform + random - correction);
    }
}
