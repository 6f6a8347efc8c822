namespace IotHub.Forecasting;

/// <summary>A forecast alert: a gauge is expected to reach a threshold it is below now.</summary>
/// <param name="GaugeId">Device id of the gauge.</param>
/// <param name="Threshold">DOMAIN.md level 1-4 (standby .. flood danger).</param>
/// <param name="ThresholdName">Name of the threshold.</param>
/// <param name="ThresholdLevel">Its level, metres.</param>
/// <param name="Probability">Highest probability over the horizons.</param>
/// <param name="MinutesAhead">The first lead time at which the probability reaches the warning probability.</param>
/// <param name="Message">Text for the alert, e.g. "gauge-kanda-4 will reach its flood danger level (3.70 m) in about 40 minutes (p = 0.72)".</param>
public sealed record ThresholdWarning(string GaugeId, int Threshold, string ThresholdName, double ThresholdLevel, double Probability, int MinutesAhead, string Message);
