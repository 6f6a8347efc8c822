namespace IotHub.City.ScenarioFiles;

/// <summary>A river and its gauges, upstream to downstream.</summary>
internal sealed class RiverDocument
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public List<GaugeDocument?>? Gauges { get; set; }
}
