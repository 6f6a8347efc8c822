using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>
/// A radar-like rain nowcast from rain gauges: the rain field observed now (10-minute amounts at
/// the gauges, interpolated by inverse distance over the three nearest) advected along the cells'
/// motion, as JMA's nowcasts extrapolate radar echoes. The motion is estimated at each origin by
/// matching the field now against the field 20 minutes earlier moved by each candidate velocity
/// (convective cells over Tokyo drift east, 5-25 km/h); candidates that cannot be told apart
/// (no rain) fall back to the middle one.
/// </summary>
internal sealed class RainNowcast
{
    /// <summary>Candidate eastward speeds, km/h, slow to fast.</summary>
    public static readonly double[] Speeds = [8, 16, 24];

    // Mean northward drift of the cells, km/h.
    private const double NorthwardSpeed = 3;

    // Farther than this from every gauge the field is unknown (counts as no rain).
    private const double CoverageKm = 10;

    // Rows between the two fields the motion is estimated from.
    private const int MotionLag = 2;

    private readonly SeriesFrame _frame;
    private readonly GeoPoint[] _gauges;
    private readonly double[][] _rain;
    private readonly Dictionary<GeoPoint, (int Gauge, double Weight)[]> _weights = [];
    private readonly int[] _motion;

    /// <summary>Rain gauges: every one of <paramref name="gauges"/> with a rain column in <paramref name="frame"/>.</summary>
    public RainNowcast(IEnumerable<RiverGauge> gauges, SeriesFrame frame)
    {
        _frame = frame;
        var withRain = gauges.Where(g => frame.Contains(RiverColumns.Rain10Min(g.DeviceId))).ToList();
        _gauges = [.. withRain.Select(g => g.Location)];
        _rain = [.. withRain.Select(g => frame[RiverColumns.Rain10Min(g.DeviceId)])];
        _motion = new int[frame.Length];
        Array.Fill(_motion, -1);
    }

    /// <summary>Rain at <paramref name="point"/> in the 10 minutes before row <paramref name="index"/>, mm (0 outside the gauges' coverage).</summary>
    public double RainAt(GeoPoint point, int index)
    {
        if (index < 0 || index >= _frame.Length)
        {
            return 0;
        }

        if (!_weights.TryGetValue(point, out var weights))
        {
            weights = Weights(point);
            _weights[point] = weights;
        }

        double sum = 0, total = 0;
        foreach (var (gauge, w) in weights)
        {
            double v = _rain[gauge][index];
            if (!double.IsNaN(v))
            {
                sum += w * v;
                total += w;
            }
        }

        return total > 0 ? sum / total : 0;
    }

    /// <summary>The rain now at the point that will be over <paramref name="point"/> in <paramref name="minutes"/> at speed <paramref name="speed"/> (an index of <see cref="Speeds"/>).</summary>
    public double Advected(GeoPoint point, int index, int speed, double minutes)
    {
        double hours = minutes / 60;
        return RainAt(point.Offset(-Speeds[speed] * hours, -NorthwardSpeed * hours), index);
    }

    /// <summary>Rain expected over <paramref name="point"/> in the next <paramref name="minutes"/>, mm: the field now moved along at speed <paramref name="speed"/>.</summary>
    public double Accumulated(GeoPoint point, int index, int speed, int minutes)
    {
        double sum = 0;
        for (int ahead = 10; ahead <= minutes; ahead += 10)
        {
            sum += Advected(point, index, speed, ahead);
        }

        return sum;
    }

    /// <summary>The candidate speed (index of <see cref="Speeds"/>) that best moves the field of 20 minutes ago onto the field now.</summary>
    public int Motion(int index)
    {
        if (index < MotionLag || index >= _frame.Length)
        {
            return 1;
        }

        if (_motion[index] >= 0)
        {
            return _motion[index];
        }

        int best = 1;
        double bestError = double.MaxValue, worstError = 0;
        for (int s = 0; s < Speeds.Length; s++)
        {
            double error = 0;
            for (int g = 0; g < _gauges.Length; g++)
            {
                double now = _rain[g][index];
                if (double.IsNaN(now))
                {
                    continue;
                }

                double d = now - Advected(_gauges[g], index - MotionLag, s, MotionLag * _frame.Step.TotalMinutes);
                error += d * d;
            }

            worstError = Math.Max(worstError, error);
            if (error < bestError)
            {
                bestError = error;
                best = s;
            }
        }

        _motion[index] = worstError - bestError > 1e-6 ? best : 1;
        return _motion[index];
    }

    private (int Gauge, double Weight)[] Weights(GeoPoint point) =>
        [.. Enumerable.Range(0, _gauges.Length)
            .Select(g => (Gauge: g, Distance: _gauges[g].DistanceKm(point)))
            .Where(x => x.Distance <= CoverageKm)
            .OrderBy(x => x.Distance)
            .Take(3)
            .Select(x => (x.Gauge, 1 / Math.Max(0.25, x.Distance * x.Distance)))];
}
