using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>
/// Features of one manhole at one forecast origin, from a 5-minute frame: the pipe (diameter,
/// dry-weather flow, the district's design rain), its level and recent changes, the time of day now
/// and at the target time (sewage has a daily rhythm), the rain at the cover interpolated from the rain gauges, and
/// a nowcast of the rain still to come: the rain observed upwind, at the distances convective cells
/// travel eastward by the target time (the simulator's cells, like Tokyo's summer storms, drift
/// east at 5-25 km/h), as radar nowcasts advect the observed field along the cells' motion; and the radar nowcast the
/// nearest river gauge relays for its catchment.
/// </summary>
internal sealed class SewerFeatures
{
    /// <summary>Rows of history a forecast needs before its origin (1 hour).</summary>
    public const int History = 12;

    public static readonly string[] Names =
    [
        "diameter_m", "dry_flow_ratio", "design_rain_mm_h", "hour", "target_hour",
        "level", "level_share", "surcharged", "d_level_5", "d_level_10", "d_level_20", "d_level_30",
        "rain_0", "rain_5", "rain_10", "rain_20", "rain_30", "rain_1h", "d_rain_10",
        "upwind_slow", "upwind_mid", "upwind_fast", "upwind_max", "upwind_slow_d10", "upwind_mid_d10", "upwind_fast_d10",
        "nowcast_rain", "motion_km_h",
        "radar_horizon", "radar_10", "radar_30", "radar_peak_10",
    ];

    private readonly SeriesFrame _frame;
    private readonly Manhole[] _manholes;
    private readonly double[] _design;
    private readonly double[][] _level;
    private readonly double[][] _surcharged;
    private readonly RainNowcast _nowcast;
    private readonly double[]?[][] _radar;

    public SewerFeatures(CityScenario city, SeriesFrame frame)
    {
        _frame = frame;
        var manholes = new List<Manhole>();
        var design = new List<double>();
        foreach (var district in city.SewerDistricts)
        {
            // Only the manholes the frame holds (a training history may simulate a few per district).
            foreach (var manhole in district.Manholes.Where(m => frame.Contains(SewerColumns.Level(m.DeviceId))))
            {
                manholes.Add(manhole);
                design.Add(district.DesignRainfall);
            }
        }

        _manholes = [.. manholes];
        _design = [.. design];
        _level = [.. _manholes.Select(m => frame[SewerColumns.Level(m.DeviceId)])];
        _surcharged = [.. _manholes.Select(m => frame.Contains(SewerColumns.Surcharged(m.DeviceId)) ? frame[SewerColumns.Surcharged(m.DeviceId)] : new double[frame.Length])];
        var gauges = city.Rivers.SelectMany(r => r.Gauges).ToArray();
        _nowcast = new RainNowcast(gauges, frame);

        // The radar nowcast the nearest river gauge relays for its catchment (none where the frame holds no such columns).
        _radar = [.. _manholes.Select(m =>
        {
            var nearest = gauges.MinBy(g => g.Location.DistanceKm(m.Location));
            return nearest is null
                ? new double[]?[RiverColumns.RainNowcastIntervals]
                : [.. Enumerable.Range(0, RiverColumns.RainNowcastIntervals).Select(n => frame.Contains(RiverColumns.RainNowcast(nearest.DeviceId, n)) ? frame[RiverColumns.RainNowcast(nearest.DeviceId, n)] : null)];
        })];
    }

    public int Count => _manholes.Length;

    public Manhole Manhole(int m) => _manholes[m];

    public double Level(int m, int index) => _level[m][index];

    /// <summary>Rain (mm in 10 min) at the cover in the hour around [index - 6, index + steps]: marks rain periods for scoring.</summary>
    public double RainAround(int m, int index, int steps)
    {
        double sum = 0;
        for (int i = Math.Max(0, index - 12); i <= Math.Min(_frame.Length - 1, index + steps); i += 2)
        {
            sum += _nowcast.RainAt(_manholes[m].Location, i);
        }

        return sum;
    }

    /// <summary>The feature vector, or null when the origin lacks history or its level.</summary>
    public float[]? Build(int m, int index, int horizonSteps)
    {
        if (index < History || index >= _frame.Length || double.IsNaN(_level[m][index]))
        {
            return null;
        }

        var manhole = _manholes[m];
        var level = _level[m];
        var f = new float[Names.Length];
        int k = 0;
        var now = _frame.TimeAt(index).ToOffset(TimeSpan.FromHours(9));
        var target = now + (_frame.Step * horizonSteps);
        f[k++] = (float)manhole.PipeDiameter;
        f[k++] = (float)manhole.DryWeatherFlowRatio;
        f[k++] = (float)_design[m];
        f[k++] = (float)now.TimeOfDay.TotalHours;
        f[k++] = (float)target.TimeOfDay.TotalHours;

        f[k++] = (float)level[index];
        f[k++] = (float)(level[index] / manhole.PipeDiameter);
        f[k++] = (float)Value(_surcharged[m], index);
        f[k++] = (float)Diff(level, index, 1);
        f[k++] = (float)Diff(level, index, 2);
        f[k++] = (float)Diff(level, index, 4);
        f[k++] = (float)Diff(level, index, 6);

        var at = manhole.Location;
        f[k++] = (float)_nowcast.RainAt(at, index);
        f[k++] = (float)_nowcast.RainAt(at, index - 1);
        f[k++] = (float)_nowcast.RainAt(at, index - 2);
        f[k++] = (float)_nowcast.RainAt(at, index - 4);
        f[k++] = (float)_nowcast.RainAt(at, index - 6);
        f[k++] = (float)(_nowcast.RainAt(at, index) + _nowcast.RainAt(at, index - 2) + _nowcast.RainAt(at, index - 4) + _nowcast.RainAt(at, index - 6) + _nowcast.RainAt(at, index - 8) + _nowcast.RainAt(at, index - 10));
        f[k++] = (float)(_nowcast.RainAt(at, index) - _nowcast.RainAt(at, index - 2));

        // Nowcast: the rain now at the points that will be over the cover by the target time.
        double minutes = ((horizonSteps * _frame.Step) + TimeSpan.FromMinutes(5)).TotalMinutes;
        var upwind = new double[RainNowcast.Speeds.Length];
        for (int s = 0; s < upwind.Length; s++)
        {
            upwind[s] = _nowcast.Advected(at, index, s, minutes);
            f[k++] = (float)upwind[s];
        }

        f[k++] = (float)upwind.Max();
        for (int s = 0; s < upwind.Length; s++)
        {
            f[k++] = (float)(upwind[s] - _nowcast.Advected(at, index - 2, s, minutes));
        }

        int motion = _nowcast.Motion(index);
        f[k++] = (float)_nowcast.Accumulated(at, index, motion, (int)(horizonSteps * _frame.Step.TotalMinutes));
        f[k++] = (float)RainNowcast.Speeds[motion];

        // The radar nowcast (mm per 10 minutes, NaN where none is stored): until the horizon, the next 10 and 30 minutes, its heaviest 10 minutes.
        int horizonIntervals = Math.Clamp((int)Math.Ceiling(horizonSteps * _frame.Step.TotalMinutes / 10), 1, RiverColumns.RainNowcastIntervals);
        f[k++] = (float)Radar(m, index, horizonIntervals);
        f[k++] = (float)Radar(m, index, 1);
        f[k++] = (float)Radar(m, index, 3);
        double peak = double.NaN;
        for (int n = 0; n < RiverColumns.RainNowcastIntervals; n++)
        {
            double v = _radar[m][n] is { } column ? column[index] : double.NaN;
            peak = double.IsNaN(peak) || v > peak ? v : peak;
        }

        f[k++] = (float)peak;
        return f;
    }

    private double Radar(int m, int index, int intervals)
    {
        double sum = 0;
        for (int n = 0; n < intervals; n++)
        {
            sum += _radar[m][n] is { } column ? column[index] : double.NaN;
        }

        return sum;
    }

    private static double Value(double[] values, int index) =>
        index >= 0 && index < values.Length && !double.IsNaN(values[index]) ? values[index] : 0;

    private static double Diff(double[] values, int index, int lag) =>
        index - lag >= 0 && !double.IsNaN(values[index - lag]) ? values[index] - values[index - lag] : 0;
}
