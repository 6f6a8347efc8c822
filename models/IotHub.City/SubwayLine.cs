namespace IotHub.City;

/// <summary>A subway line, its stations and the trains whose cars report their load.</summary>
/// <param name="Id">Short lowercase id, stored as the <c>line</c> tag (e.g. <c>asakusa</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="Stations">Stations in order from the first terminus to the last.</param>
/// <param name="CarsPerTrain">Cars in each train (6-8).</param>
/// <param name="TrainCount">Trains in service whose cars are instrumented; they are spaced evenly along the line.</param>
/// <param name="StairsCars">Car numbers (1-based, from the first terminus' end) that stop at the stairs at most stations and so fill up first.</param>
/// <param name="EndCarCapacity">Capacity (乗車率 100%) of a cab car, persons.</param>
/// <param name="MiddleCarCapacity">Capacity of an intermediate car, persons.</param>
/// <param name="PeakLoadFactor">Train-average 乗車率 (%) on the busiest section at the weekday morning peak.</param>
/// <param name="ScheduledSpeed">Average speed including stops, km/h.</param>
public sealed record SubwayLine(
    string Id,
    string Name,
    IReadOnlyList<SubwayStation> Stations,
    int CarsPerTrain,
    int TrainCount,
    IReadOnlyList<int> StairsCars,
    int EndCarCapacity,
    int MiddleCarCapacity,
    double PeakLoadFactor,
    double ScheduledSpeed)
{
    /// <summary>Capacity of car <paramref name="car"/> (1-based), persons.</summary>
    public int CarCapacity(int car) => car == 1 || car == CarsPerTrain ? EndCarCapacity : MiddleCarCapacity;

    /// <summary>Device id of car <paramref name="car"/> of train <paramref name="train"/> (both 1-based).</summary>
    public string CarDeviceId(int train, int car) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"car-{Id}-t{train}-c{car}");
}
