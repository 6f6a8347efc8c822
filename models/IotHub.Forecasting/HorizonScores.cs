namespace IotHub.Forecasting;

/// <summary>Held-out accuracy at one horizon: the model beside persistence and the time-of-week historical average.</summary>
/// <param name="Target">What was forecast.</param>
/// <param name="HorizonMinutes">Lead time.</param>
/// <param name="Model">The ML model.</param>
/// <param name="Persistence">"Nothing changes": the last observation.</param>
/// <param name="HistoricalAverage">Mean of the same time-of-week slot in the training window.</param>
/// <param name="Subset">Which rows: <c>all</c> or a named subset such as <c>storm</c> or <c>morning-peak</c>.</param>
public sealed record HorizonScores(string Target, int HorizonMinutes, ForecastMetrics Model, ForecastMetrics Persistence, ForecastMetrics HistoricalAverage, string Subset = "all");
