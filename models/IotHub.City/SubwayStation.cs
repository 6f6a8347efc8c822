namespace IotHub.City;

/// <summary>A station of a subway line with the weights the passenger demand model uses.</summary>
/// <param name="Name">Station name, reported in the car's <c>station</c> field.</param>
/// <param name="Location">Position of the station.</param>
/// <param name="Homes">Relative number of trips starting here in the morning (residents, through-running trains at a terminus).</param>
/// <param name="Jobs">Relative number of trips ending here in the morning (offices, schools, transfers).</param>
public sealed record SubwayStation(string Name, GeoPoint Location, double Homes, double Jobs);
