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

    /// <summary>Share of <see cref="PeakIntensity"/> the cell rains with at <paramref name="sinceStart"/>: 0 before it starts and after it ends, ramping up and down over a fifth of its life (at most 15 min) at each end.</summary>
    public double Envelope(TimeSpan sinceStart)
    {
        double age = (sinceStart - StartsAfter).TotalMinutes;
        double life = Duration.TotalMinutes;
        if (age <= 0 || age >= life)
        {
            return 0;
        }

        double ramp = Math.Min(15.0, life / 5.0);
        return Math.Min(1.0, Math.Min(age / ramp, (life - age) / ramp));
    }

    /// <summary>Where the cell's centre is at <paramref name="sinceStart"/>.</summary>
    public GeoPoint CentreAt(TimeSpan sinceStart)
    {
        double hours = (sinceStart - StartsAfter).TotalHours;
        return Start.Offset(EastwardSpeed * hours, NorthwardSpeed * hours);
    }

    /// <summary>Rain intensity, mm/h, at <paramref name="point"/> at <paramref name="sinceStart"/> after the simulation's start.</summary>
    public double IntensityAt(GeoPoint point, TimeSpan sinceStart)
    {
        double envelope = Envelope(sinceStart);
        return envelope <= 0 ? 0 : Footprint(CentreAt(sinceStart), point, PeakIntensity * envelope, Radius);
    }

    /// <summary>Rain of a cell centred at <paramref name="centre"/> raining <paramref name="intensity"/> at its centre, at <paramref name="point"/>: a Gaussian of radius <paramref name="radius"/>, cut at four radii.</summary>
    public static double Footprint(GeoPoint centre, GeoPoint point, double intensity, double radius)
    {
        double spread = centre.DistanceKm(point) / radius;
        return spread > 4 ? 0 : intensity * Math.Exp(-0.5 * spread * spread);
    }
}
