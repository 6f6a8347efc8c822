namespace IotHub.City;

/// <summary>A combined-sewer drainage district and its instrumented manholes.</summary>
/// <param name="Id">Short lowercase id, stored as the <c>district</c> tag.</param>
/// <param name="Name">Display name.</param>
/// <param name="Centre">Centre of the district.</param>
/// <param name="DesignRainfall">Rain intensity the pipes carry when full, mm/h (50, or 75 in priority districts).</param>
/// <param name="Manholes">Its instrumented manholes.</param>
public sealed record SewerDistrict(string Id, string Name, GeoPoint Centre, double DesignRainfall, IReadOnlyList<Manhole> Manholes);
