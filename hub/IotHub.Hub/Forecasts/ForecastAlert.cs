using IotHub.Forecasting;

namespace IotHub.Hub.Forecasts;

/// <summary>A standing forecast alert.</summary>
/// <param name="Warning">The gauge, threshold, probability, lead time and message.</param>
/// <param name="Since">When it was first raised (it stays while every evaluation repeats it).</param>
internal sealed record ForecastAlert(ThresholdWarning Warning, DateTimeOffset Since);

/// <summary>The alerts of one evaluation.</summary>
/// <param name="EvaluatedAt">When they were evaluated, or null before the first evaluation.</param>
/// <param name="Alerts">Standing alerts, most severe threshold first.</param>
internal sealed record ForecastAlerts(DateTimeOffset? EvaluatedAt, IReadOnlyList<ForecastAlert> Alerts);
