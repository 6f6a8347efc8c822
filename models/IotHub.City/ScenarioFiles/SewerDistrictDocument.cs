namespace IotHub.City.ScenarioFiles;

/// <summary>A sewer district; design rainfall in mm/h.</summary>
internal sealed class SewerDistrictDocument
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public LocationDocument? Centre { get; set; }

    public double? DesignRainfall { get; set; }

    public List<ManholeDocument?>? Manholes { get; set; }
}
