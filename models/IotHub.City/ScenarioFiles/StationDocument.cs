namespace IotHub.City.ScenarioFiles;

/// <summary>A subway station with its demand weights.</summary>
internal sealed class StationDocument
{
    public string? Name { get; set; }

    public LocationDocument? Location { get; set; }

    public double? Homes { get; set; }

    public double? Jobs { get; set; }
}
