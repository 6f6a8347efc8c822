namespace IotHub.Forecasting;

/// <summary>A recommended signal timing and its expected delays.</summary>
/// <param name="Cycle">Cycle length.</param>
/// <param name="MainGreenSplit">Effective green of the detector-equipped approach as a fraction of the cycle (what <c>CitySimulation.SetSignalTiming</c> takes).</param>
/// <param name="CrossGreenSplit">Effective green of the conflicting phase as a fraction of the cycle.</param>
/// <param name="FlowRatioSum">Y, the sum of the critical flow ratios; over capacity at 0.9 and above.</param>
/// <param name="MainDelaySeconds">Webster's expected delay per vehicle on the main approach.</param>
/// <param name="CrossDelaySeconds">Webster's expected delay per vehicle on the conflicting phase.</param>
public sealed record SignalTiming(TimeSpan Cycle, double MainGreenSplit, double CrossGreenSplit, double FlowRatioSum, double MainDelaySeconds, double CrossDelaySeconds);
