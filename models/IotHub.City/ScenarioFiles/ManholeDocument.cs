namespace IotHub.City.ScenarioFiles;

/// <summary>An instrumented manhole; diameter in metres.</summary>
internal sealed class ManholeDocument
{
    public string? DeviceId { get; set; }

    public string? Name { get; set; }

    public LocationDocument? Location { get; set; }

    public double? PipeDiameter { get; set; }

    public double? DryWeatherFlowRatio { get; set; }
}
