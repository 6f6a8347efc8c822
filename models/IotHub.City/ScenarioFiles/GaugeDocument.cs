namespace IotHub.City.ScenarioFiles;

/// <summary>A river gauge and its local sub-catchment; durations in minutes, areas in km2, flows in m3/s.</summary>
internal sealed class GaugeDocument
{
    public string? DeviceId { get; set; }

    public string? Name { get; set; }

    public LocationDocument? Location { get; set; }

    public LocationDocument? CatchmentCentre { get; set; }

    public double? LocalCatchmentArea { get; set; }

    public double? RunoffCoefficient { get; set; }

    public double? ReservoirTimeConstantMinutes { get; set; }

    public double? BaseFlow { get; set; }

    public RatingDocument? Rating { get; set; }

    public ThresholdsDocument? Thresholds { get; set; }

    public string? DownstreamGaugeId { get; set; }

    public double? TravelTimeDownstreamMinutes { get; set; }
}
