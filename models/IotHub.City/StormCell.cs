namespace IotHub.City;

/// <summary>
/// A moving rain cell: intensity falls off with distance from its centre as a Gaussian, and
/// over its life it ramps up, holds and ramps down.
/// </summary>
/// <param name="StartsAfter">When it starts, after the simulation's start.</param>
/// <param name="Duration">How long it rains, ramps included.</param>
/// <param name="Start">Where its centre is when it starts.</param>
/// <param name="EastwardSpeed">Eastward speed of the centre, km/h (negative: westward).</param>
/// <param name="NorthwardSpeed">Northward speed of the centre, km/h.</param>
/// <param name="PeakIntensity">Rain intensity at the centre while it holds, mm/h.</param>
/// <param name="Radius">Gaussian radius (one standard deviation), km.</param>
public sealed record StormCell(
    TimeSpan StartsAfter,
    TimeSpan Duration,
    GeoPoint Start,
    double EastwardSpeed,
    double NorthwardSpeed,
    double PeakIntensity,
    double Radius)
{
    /// <summary>When it stops, after the simulation's start.</summary>
    public TimeSpan EndsAfter => StartsAfter + Duration;

    /// <summary>Rain intensity, mm/h, at <paramref name="point"/> at <paramref name="sinceStart"/> after the simulation's start.</summary>
    public double IntensityAt(GeoPoint point, TimeSpan sinceStart)
    {
        double age = (sinceStart - StartsAfter).TotalMinutes;
        double life = Duration.TotalMinutes;
        if (age <= 0 || age >= life)
        {
            return 0;
        }

        // Ramps of a fifth of the life (at most 15 min) at each end: cells grow and decay.
        double ramp = Math.Min(15.0, life / 5.0);
        double envelope = Math.Min(1.0, Math.Min(age / ramp, (life - age) / ramp));
        double hours = age / 60.0;
        var centre = Start.Offset(EastwardSpeed * hours, NorthwardSpeed * hours);
        double distance = centre.DistanceKm(point);
        double spread = distance / Radius;
        if (spread > 4)
        {
            return 0;
        }

        return PeakIntensity * envelope * Math.Exp(-0.5 * spread * spread);
    }
}
