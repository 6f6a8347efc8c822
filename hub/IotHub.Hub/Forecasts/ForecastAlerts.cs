using IotHub.Forecasting;

namespace IotHub.Hub.Forecasts;

/// <summary>The alerts in force after one evaluation.</summary>
/// <param name="EvaluatedAt">When they were evaluated, or null before the first evaluation.</param>
/// <param name="Alerts">Alerts in force, most severe threshold first (<see cref="WarningsInForce"/>).</param>
internal sealed record ForecastAlerts(DateTimeOffset? EvaluatedAt, IReadOnlyList<AlertInForce> Alerts);
