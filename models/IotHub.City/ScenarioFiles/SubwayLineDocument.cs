namespace IotHub.City.ScenarioFiles;

/// <summary>A subway line; capacities in persons, load factor in %, speed in km/h.</summary>
internal sealed class SubwayLineDocument
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public List<StationDocument?>? Stations { get; set; }

    public int? CarsPerTrain { get; set; }

    public int? TrainCount { get; set; }

    public List<int>? StairsCars { get; set; }

    public int? EndCarCapacity { get; set; }

    public int? MiddleCarCapacity { get; set; }

    public double? PeakLoadFactor { get; set; }

    public double? ScheduledSpeed { get; set; }
}
