namespace IotHub.City;

/// <summary>A multi-function manhole cover over a sewer pipe.</summary>
/// <param name="DeviceId">Device id of the cover.</param>
/// <param name="Name">Where it is.</param>
/// <param name="Location">Position of the cover.</param>
/// <param name="PipeDiameter">Inner diameter of the pipe below, metres.</param>
/// <param name="DryWeatherFlowRatio">Mean dry-weather sewage flow as a fraction of the pipe's full flow (0.05-0.2).</param>
public sealed record Manhole(string DeviceId, string Name, GeoPoint Location, double PipeDiameter, double DryWeatherFlowRatio);
