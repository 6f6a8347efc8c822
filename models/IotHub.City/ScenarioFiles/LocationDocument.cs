namespace IotHub.City.ScenarioFiles;

/// <summary>A WGS 84 position in a scenario file.</summary>
internal sealed class LocationDocument
{
    public double? Latitude { get; set; }

    public double? Longitude { get; set; }

    public static LocationDocument From(GeoPoint point) => new() { Latitude = point.Latitude, Longitude = point.Longitude };
}
