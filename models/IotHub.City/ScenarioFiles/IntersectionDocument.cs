namespace IotHub.City.ScenarioFiles;

/// <summary>A signalised intersection; demand in vehicles per hour per lane, distance in metres.</summary>
internal sealed class IntersectionDocument
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? Road { get; set; }

    public LocationDocument? Location { get; set; }

    public int? Lanes { get; set; }

    public double? PeakDemandPerLane { get; set; }

    public double? CycleSeconds { get; set; }

    public double? GreenSplit { get; set; }

    public double? DetectorDistance { get; set; }
}
