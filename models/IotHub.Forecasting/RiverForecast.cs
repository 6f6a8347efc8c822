namespace IotHub.Forecasting;

/// <summary>A gauge's forecast from one origin.</summary>
/// <param name="GaugeId">Device id of the gauge.</param>
/// <param name="Origin">Time of the last observation used.</param>
/// <param name="Level">Observed level at the origin, metres.</param>
/// <param name="Horizons">One entry per lead time (10-120 minutes).</param>
public sealed record RiverForecast(string GaugeId, DateTimeOffset Origin, double Level, IReadOnlyList<RiverHorizonForecast> Horizons);
