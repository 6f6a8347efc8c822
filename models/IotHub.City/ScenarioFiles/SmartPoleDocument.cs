namespace IotHub.City.ScenarioFiles;

/// <summary>A smart pole.</summary>
internal sealed class SmartPoleDocument
{
    public string? DeviceId { get; set; }

    public string? Name { get; set; }

    public LocationDocument? Location { get; set; }

    public double? PeakPeopleInView { get; set; }
}
