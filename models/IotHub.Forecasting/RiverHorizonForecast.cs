namespace IotHub.Forecasting;

/// <summary>The level forecast at one lead time.</summary>
/// <param name="HorizonMinutes">Lead time.</param>
/// <param name="ValidAt">When the forecast level is for.</param>
/// <param name="Level">Forecast level, metres.</param>
/// <param name="Lower">10th percentile, metres.</param>
/// <param name="Upper">90th percentile, metres.</param>
/// <param name="ThresholdProbabilities">Probability of being at or above standby, flood caution, evacuation judgement and flood danger, in that order.</param>
public sealed record RiverHorizonForecast(int HorizonMinutes, DateTimeOffset ValidAt, double Level, double Lower, double Upper, IReadOnlyList<double> ThresholdProbabilities);
