namespace IotHub.City.ScenarioFiles;

/// <summary>The JSON form of a <see cref="CityScenario"/>: what a scenario file holds.</summary>
internal sealed class ScenarioDocument
{
    /// <summary>The file format's version; 1 is the only one so far.</summary>
    public int? FormatVersion { get; set; }

    public string? Name { get; set; }

    public double? RandomStormsPerDay { get; set; }

    public List<RiverDocument?>? Rivers { get; set; }

    public List<SewerDistrictDocument?>? SewerDistricts { get; set; }

    public List<SmartPoleDocument?>? SmartPoles { get; set; }

    public List<SubwayLineDocument?>? SubwayLines { get; set; }

    public List<IntersectionDocument?>? Intersections { get; set; }

    public List<StormDocument?>? ScheduledStorms { get; set; }
}
