namespace IotHub.City.ScenarioFiles;

/// <summary>A scheduled storm cell; times in minutes after the start, speeds in km/h, intensity in mm/h, radius in km.</summary>
internal sealed class StormDocument
{
    public double? StartsAfterMinutes { get; set; }

    public double? DurationMinutes { get; set; }

    public LocationDocument? Start { get; set; }

    public double? EastwardSpeed { get; set; }

    public double? NorthwardSpeed { get; set; }

    public double? PeakIntensity { get; set; }

    public double? Radius { get; set; }
}
