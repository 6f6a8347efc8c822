namespace IotHub.City;

/// <summary>A river with flood forecasts and its gauges.</summary>
/// <param name="Id">Short lowercase id, stored as the <c>river</c> tag (e.g. <c>kanda</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="Gauges">Gauges ordered upstream to downstream.</param>
public sealed record River(string Id, string Name, IReadOnlyList<RiverGauge> Gauges);
