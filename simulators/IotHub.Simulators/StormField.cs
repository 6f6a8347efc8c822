using IotHub.City;

namespace IotHub.Simulators;

/// <summary>
/// The rain over the city: the scenario's scheduled storm cells plus random ones, drawn per
/// simulated day from a generator seeded by (seed, day), so the storms do not depend on how the
/// simulation is stepped. Two populations: convective cells (30-100 mm/h, a few km across,
/// under two hours; the "guerrilla" storms of DOMAIN.md) and wide, light frontal rain.
/// </summary>
internal sealed class StormField
{
    private const double CityLatitude = 35.69;
    private const double CityLongitude = 139.70;

    private readonly int _seed;
    private readonly double _stormsPerDay;
    private readonly List<StormCell> _pending;
    private readonly List<StormCell> _active = [];
    private long _generatedThroughDay = -1;

    public StormField(CityScenario scenario, int seed)
    {
        _seed = seed;
        _stormsPerDay = scenario.RandomStormsPerDay;
        _pending = [.. scenario.ScheduledStorms];
    }

    /// <summary>
    /// Makes the cells that rain at any time in (<paramref name="from"/>, <paramref name="to"/>]
    /// (times since the start) the active ones; forgets cells that have ended.
    /// </summary>
    public void Prepare(TimeSpan from, TimeSpan to)
    {
        // Random cells of day d start within day d and last at most 6 h, so generating through the
        // day after 'to' is always enough.
        long lastDay = (long)Math.Floor(to.TotalDays) + 1;
        while (_generatedThroughDay < lastDay)
        {
            _generatedThroughDay++;
            GenerateDay(_generatedThroughDay);
        }

        _active.Clear();
        for (int i = _pending.Count - 1; i >= 0; i--)
        {
            var cell = _pending[i];
            if (cell.EndsAfter <= from)
            {
                _pending.RemoveAt(i);
            }
        }

        foreach (var cell in _pending)
        {
            if (cell.StartsAfter < to && cell.EndsAfter > from)
            {
                _active.Add(cell);
            }
        }
    }

    /// <summary>True when no active cell rains anywhere.</summary>
    public bool IsDry => _active.Count == 0;

    /// <summary>Rain intensity, mm/h, at <paramref name="point"/> at <paramref name="sinceStart"/>, from the active cells.</summary>
    public double RainAt(GeoPoint point, TimeSpan sinceStart)
    {
        double rain = 0;
        foreach (var cell in _active)
        {
            rain += cell.IntensityAt(point, sinceStart);
        }

        return rain;
    }

    /// <summary>
    /// The rain rate, mm/h, a radar nowcast issued at <paramref name="issued"/> expects at <paramref name="point"/>
    /// <paramref name="minutesAhead"/> later: every active cell raining at the issue time, moved on along its tracked motion
    /// with its intensity at the issue time (<see cref="RadarNowcastErrors"/>); cells not yet raining are missed.
    /// </summary>
    public double NowcastAt(GeoPoint point, TimeSpan issued, double minutesAhead, RadarNowcastErrors errors)
    {
        double rain = 0;
        double hours = minutesAhead / 60;

        // Errors stay the same for one 5-minute issue, as a nowcast is issued every 5 minutes.
        long issue = (long)Math.Floor(issued.TotalMinutes / 5);
        foreach (var cell in _active)
        {
            double envelope = cell.Envelope(issued);
            if (envelope <= 0)
            {
                continue;
            }

            int key = (int)cell.StartsAfter.TotalSeconds ^ (int)(cell.Start.Latitude * 1e6);
            double east = cell.EastwardSpeed + (errors.MotionErrorKmH * SensorNoise.Gaussian(_seed, NoiseStream.NowcastEast, key, issue));
            double north = cell.NorthwardSpeed + (errors.MotionErrorKmH * SensorNoise.Gaussian(_seed, NoiseStream.NowcastNorth, key, issue));
            double sigma = errors.IntensityLogError;
            double scale = Math.Exp((sigma * SensorNoise.Gaussian(_seed, NoiseStream.NowcastIntensity, key, issue)) - (0.5 * sigma * sigma));
            var centre = cell.CentreAt(issued).Offset(east * hours, north * hours);
            rain += StormCell.Footprint(centre, point, cell.PeakIntensity * envelope * scale, cell.Radius);
        }

        return rain;
    }

    private void GenerateDay(long day)
    {
        if (_stormsPerDay <= 0)
        {
            return;
        }

        // CA5394: not security randomness; a seeded generator is the point (same seed, same weather).
#pragma warning disable CA5394
        var random = new Random(SensorNoise.DerivedSeed(_seed, NoiseStream.StormDay, day));
        int count = Poisson(random, _stormsPerDay);
        var city = new GeoPoint(CityLatitude, CityLongitude);
        for (int i = 0; i < count; i++)
        {
            bool convective = random.NextDouble() < 0.4;
            var startsAfter = TimeSpan.FromDays(day) + TimeSpan.FromMinutes(random.NextDouble() * 24 * 60);
            double minutes, peak, radius, east, north;
            if (convective)
            {
                minutes = 30 + (random.NextDouble() * 70);
                double u = random.NextDouble();
                peak = 30 + (70 * u * u);
                radius = 2 + (random.NextDouble() * 3);
                east = 5 + (random.NextDouble() * 20);
                north = -5 + (random.NextDouble() * 15);
            }
            else
            {
                minutes = 120 + (random.NextDouble() * 240);
                peak = 2 + (random.NextDouble() * 10);
                radius = 10 + (random.NextDouble() * 20);
                east = 15 + (random.NextDouble() * 25);
                north = -5 + (random.NextDouble() * 10);
            }

            // Aim the cell's path through a point within 15 km of the city centre, halfway through its life.
            var target = city.Offset((random.NextDouble() - 0.5) * 30, (random.NextDouble() - 0.5) * 30);
            double halfLife = minutes / 120.0;
            var start = target.Offset(-east * halfLife, -north * halfLife);
            _pending.Add(new StormCell(startsAfter, TimeSpan.FromMinutes(minutes), start, east, north, peak, radius));
        }
#pragma warning restore CA5394
    }

    private static int Poisson(Random random, double mean)
    {
        // Knuth's method; the mean is a few storms a day at most.
        double limit = Math.Exp(-mean);
        int count = 0;
#pragma warning disable CA5394
        double product = random.NextDouble();
#pragma warning restore CA5394
        while (product > limit && count < 50)
        {
            count++;
#pragma warning disable CA5394
            product *= random.NextDouble();
#pragma warning restore CA5394
        }

        return count;
    }
}
