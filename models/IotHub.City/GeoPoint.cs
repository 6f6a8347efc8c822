namespace IotHub.City;

/// <summary>A WGS 84 position.</summary>
/// <param name="Latitude">Degrees north.</param>
/// <param name="Longitude">Degrees east.</param>
public readonly record struct GeoPoint(double Latitude, double Longitude)
{
    private const double EarthRadiusKm = 6371.0;

    /// <summary>Great-circle distance to <paramref name="other"/>, in kilometres (equirectangular: exact enough within a city).</summary>
    public double DistanceKm(GeoPoint other)
    {
        var (east, north) = OffsetKm(other);
        return Math.Sqrt((east * east) + (north * north));
    }

    /// <summary>How far <paramref name="other"/> lies east and north of this point, in kilometres.</summary>
    public (double EastKm, double NorthKm) OffsetKm(GeoPoint other)
    {
        double meanLatitude = (Latitude + other.Latitude) * 0.5 * Math.PI / 180.0;
        double east = (other.Longitude - Longitude) * Math.PI / 180.0 * Math.Cos(meanLatitude) * EarthRadiusKm;
        double north = (other.Latitude - Latitude) * Math.PI / 180.0 * EarthRadiusKm;
        return (east, north);
    }

    /// <summary>The point <paramref name="eastKm"/> east and <paramref name="northKm"/> north of this one.</summary>
    public GeoPoint Offset(double eastKm, double northKm)
    {
        double latitude = Latitude + (northKm / EarthRadiusKm * 180.0 / Math.PI);
        double longitude = Longitude + (eastKm / (EarthRadiusKm * Math.Cos(Latitude * Math.PI / 180.0)) * 180.0 / Math.PI);
        return new GeoPoint(latitude, longitude);
    }
}
