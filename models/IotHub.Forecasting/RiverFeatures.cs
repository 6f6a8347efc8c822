namespace IotHub.Forecasting;

/// <summary>
/// Features of one gauge at one forecast origin, from a 10-minute frame: level and its recent
/// changes, flow (level through the rating curve, as a share of the flow at flood danger), rain at
/// the gauge, over its local catchment, nearby and to the west (cells drift east), the upstream
/// gauges' flow that will have arrived by the horizon (their travel time), and the calendar.
/// </summary>
internal sealed class RiverFeatures
{
    /// <summary>Rows of history a forecast needs before its origin (3 h of rain).</summary>
    public const int History = 18;

    /// <summary>Feature names without the rainfall-runoff forecast (<see cref="RiverPhysics.Names"/>).</summary>
    public static readonly string[] BaseNames =
    [
        "local_area_km2", "upstream_area_km2", "time_constant_min", "flood_danger_m", "standby_m", "upstream_gauges",
        "level", "below_flood_danger", "d_level_10", "d_level_20", "d_level_30", "d_level_60", "d_level_120",
        "flow", "d_flow_10", "d_flow_30",
        "rain_0", "rain_1", "rain_2", "rain_3", "rain_4", "rain_5", "rain_1h", "rain_3h",
        "catchment_rain_0", "catchment_rain_1", "catchment_rain_2", "catchment_rain_1h", "catchment_rain_3h",
        "near_rain_0", "near_rain_1", "near_rain_1h", "west_rain_0", "west_rain_1", "west_rain_1h", "west_rain_max_0",
        "upstream_flow", "upstream_d_flow_30", "upstream_arriving", "upstream_arriving_gain", "upstream2_arriving", "local_flow", "upstream_rain_1h",
        "hour", "weekday",
        "nowcast_local", "nowcast_local_30", "nowcast_local_slow", "nowcast_local_fast", "nowcast_upstream", "motion_km_h",
        "radar_local", "radar_local_30", "radar_local_60", "radar_peak_10", "radar_upstream",
    ];

    /// <summary>Every feature name: <see cref="BaseNames"/>, then the rainfall-runoff forecast's.</summary>
    public static readonly string[] Names = [.. BaseNames, .. RiverPhysics.Names];

    private readonly RiverNetwork _network;
    private readonly SeriesFrame _frame;
    private readonly double[][] _level;
    private readonly double[][] _rain;
    private readonly double[][] _flow;
    private readonly RainNowcast _nowcast;
    private readonly double[]?[][] _radar;
    private readonly RiverPhysics? _physics;

    /// <summary>Features over <paramref name="frame"/>; without the rainfall-runoff forecast when <paramref name="physics"/> is false.</summary>
    public RiverFeatures(RiverNetwork network, SeriesFrame frame, bool physics = true)
    {
        _network = network;
        _frame = frame;
        int n = network.Gauges.Length;
        _level = new double[n][];
        _rain = new double[n][];
        _flow = new double[n][];
        _nowcast = new RainNowcast(network.Gauges, frame);
        _radar = new double[]?[n][];
        for (int g = 0; g < n; g++)
        {
            string id = network.Gauges[g].DeviceId;
            _radar[g] = [.. Enumerable.Range(0, RiverColumns.RainNowcastIntervals).Select(k => frame.Contains(RiverColumns.RainNowcast(id, k)) ? frame[RiverColumns.RainNowcast(id, k)] : null)];
            _level[g] = frame[RiverColumns.Level(id)];
            _rain[g] = frame.Contains(RiverColumns.Rain10Min(id)) ? frame[RiverColumns.Rain10Min(id)] : new double[frame.Length];
            var rating = network.Gauges[g].Rating;
            _flow[g] = new double[frame.Length];
            for (int i = 0; i < frame.Length; i++)
            {
                _flow[g][i] = rating.Flow(_level[g][i]) / network.DesignFlow[g];
            }
        }

        _physics = physics ? new RiverPhysics(network, frame, _flow, _rain, _nowcast, RadarAt) : null;
    }

    /// <summary>The names of the features <see cref="Build"/> returns, in order.</summary>
    public IReadOnlyList<string> FeatureNames => _physics is null ? BaseNames : Names;

    /// <summary>True when a model trained on <paramref name="features"/> needs the rainfall-runoff forecast.</summary>
    public static bool UsesPhysics(IReadOnlyList<string> features) => features.Contains(RiverPhysics.Names[0]);

    public double Level(int gauge, int index) => _level[gauge][index];

    /// <summary>Catchment rain in the 3 hours before <paramref name="index"/>, mm (used for storm periods and bins).</summary>
    public double CatchmentRain3h(int gauge, int index) => CatchmentSum(gauge, index, 18);

    /// <summary>Catchment rain in the <paramref name="steps"/> rows up to and including <paramref name="index"/>, mm.</summary>
    public double CatchmentRain(int gauge, int index, int steps) => CatchmentSum(gauge, index, steps);

    /// <summary>The uncertainty bin: 0 dry, 1 wet and steady, 2 heavy rain or a rising river.</summary>
    public int Bin(int gauge, int index)
    {
        double rain1h = CatchmentSum(gauge, index, 6);
        double rain3h = CatchmentSum(gauge, index, 18);
        double rise = Diff(_level[gauge], index, 3);
        if (rain1h >= 5 || rise >= 0.1 || Sum(_network.West[gauge], index, 3) >= 3)
        {
            return 2;
        }

        return rain3h >= 1 || Math.Abs(Diff(_level[gauge], index, 6)) >= 0.05 ? 1 : 0;
    }

    /// <summary>The feature vector, or null when the origin lacks history or its level is missing.</summary>
    public float[]? Build(int gauge, int index, int horizonSteps)
    {
        if (index < History || index >= _frame.Length || double.IsNaN(_level[gauge][index]))
        {
            return null;
        }

        var g = _network.Gauges[gauge];
        var level = _level[gauge];
        var flow = _flow[gauge];
        var rain = _rain[gauge];
        var f = new float[FeatureNames.Count];
        int k = 0;
        f[k++] = (float)g.LocalCatchmentArea;
        f[k++] = (float)_network.UpstreamArea[gauge];
        f[k++] = (float)g.ReservoirTimeConstant.TotalMinutes;
        f[k++] = (float)g.Thresholds.FloodDanger;
        f[k++] = (float)g.Thresholds.Standby;
        f[k++] = _network.Upstream[gauge].Length;

        f[k++] = (float)level[index];
        f[k++] = (float)(g.Thresholds.FloodDanger - level[index]);
        f[k++] = (float)Diff(level, index, 1);
        f[k++] = (float)Diff(level, index, 2);
        f[k++] = (float)Diff(level, index, 3);
        f[k++] = (float)Diff(level, index, 6);
        f[k++] = (float)Diff(level, index, 12);

        f[k++] = (float)flow[index];
        f[k++] = (float)Diff(flow, index, 1);
        f[k++] = (float)Diff(flow, index, 3);

        for (int lag = 0; lag < 6; lag++)
        {
            f[k++] = (float)Value(rain, index - lag);
        }

        f[k++] = (float)SumOf(rain, index, 6);
        f[k++] = (float)SumOf(rain, index, 18);

        f[k++] = (float)CatchmentSum(gauge, index, 1);
        f[k++] = (float)CatchmentSum(gauge, index - 1, 1);
        f[k++] = (float)CatchmentSum(gauge, index - 2, 1);
        f[k++] = (float)CatchmentSum(gauge, index, 6);
        f[k++] = (float)CatchmentSum(gauge, index, 18);

        var near = _network.Near[gauge];
        var west = _network.West[gauge];
        f[k++] = (float)Sum(near, index, 1);
        f[k++] = (float)Sum(near, index - 1, 1);
        f[k++] = (float)Sum(near, index, 6);
        f[k++] = (float)Sum(west, index, 1);
        f[k++] = (float)Sum(west, index - 1, 1);
        f[k++] = (float)Sum(west, index, 6);
        f[k++] = (float)Max(west, index);

        // Upstream flow: what is there now, and what will have reached this gauge by the horizon
        // (known from the upstream record while the horizon is within the travel time).
        double upNow = 0, upBefore = 0, arriving = 0, arriving2 = 0, arrivedNow = 0, upRain = 0;
        foreach (int u in _network.Upstream[gauge])
        {
            double scale = _network.DesignFlow[u] / _network.DesignFlow[gauge];
            double lag = _network.LagSteps(u, _frame.Step);
            upNow += _flow[u][index] * scale;
            upBefore += Value(_flow[u], index - 3) * scale;
            arriving += Interpolate(_flow[u], Math.Min(index, index + horizonSteps - lag)) * scale;
            arrivedNow += Interpolate(_flow[u], index - lag) * scale;
            upRain += SumOf(_rain[u], index, 6);
            foreach (int u2 in _network.Upstream[u])
            {
                double scale2 = _network.DesignFlow[u2] / _network.DesignFlow[gauge];
                double lag2 = lag + _network.LagSteps(u2, _frame.Step);
                arriving2 += Interpolate(_flow[u2], Math.Min(index, index + horizonSteps - lag2)) * scale2;
            }
        }

        f[k++] = (float)upNow;
        f[k++] = (float)(upNow - upBefore);
        f[k++] = (float)arriving;
        f[k++] = (float)(arriving - arrivedNow);
        f[k++] = (float)arriving2;
        f[k++] = (float)(flow[index] - arrivedNow);
        f[k++] = (float)(_network.Upstream[gauge].Length > 0 ? upRain / _network.Upstream[gauge].Length : 0);

        var local = _frame.TimeAt(index).ToOffset(TimeSpan.FromHours(9));
        f[k++] = (float)local.TimeOfDay.TotalHours;
        f[k++] = (int)local.DayOfWeek;

        // Rain still to fall by the horizon: the gauges' field now, moved along the cells' estimated motion.
        int minutes = (int)(horizonSteps * _frame.Step.TotalMinutes);
        int motion = _nowcast.Motion(index);
        f[k++] = (float)Catchment(g, index, motion, minutes);
        f[k++] = (float)Catchment(g, index, motion, Math.Min(30, minutes));
        f[k++] = (float)Catchment(g, index, 0, minutes);
        f[k++] = (float)Catchment(g, index, RainNowcast.Speeds.Length - 1, minutes);
        double upstream = 0;
        foreach (int u in _network.Upstream[gauge])
        {
            upstream += Catchment(_network.Gauges[u], index, motion, minutes);
        }

        f[k++] = (float)(_network.Upstream[gauge].Length > 0 ? upstream / _network.Upstream[gauge].Length : 0);
        f[k++] = (float)RainNowcast.Speeds[motion];

        // The radar nowcast the gauges relay (NaN where the store holds none): local until the horizon, in the first 30
        // and the whole 60 minutes, its heaviest 10 minutes, and the upstream catchments' until the horizon.
        int intervals = Math.Min(horizonSteps, RiverColumns.RainNowcastIntervals);
        f[k++] = (float)Radar(gauge, index, intervals);
        f[k++] = (float)Radar(gauge, index, 3);
        f[k++] = (float)Radar(gauge, index, RiverColumns.RainNowcastIntervals);
        double peak = double.NaN;
        for (int n = 0; n < RiverColumns.RainNowcastIntervals; n++)
        {
            double v = RadarAt(gauge, index, n);
            peak = double.IsNaN(peak) || v > peak ? v : peak;
        }

        f[k++] = (float)peak;
        double radarUpstream = 0;
        foreach (int u in _network.Upstream[gauge])
        {
            radarUpstream += Radar(u, index, intervals);
        }

        f[k++] = (float)(_network.Upstream[gauge].Length > 0 ? radarUpstream / _network.Upstream[gauge].Length : 0);
        _physics?.Write(f, k, gauge, index, horizonSteps);
        return f;
    }

    /// <summary>The radar nowcast at origin <paramref name="index"/> of gauge <paramref name="gauge"/>'s catchment rain in its 10-minute interval <paramref name="interval"/>, mm, or NaN when none was stored.</summary>
    public double RadarAt(int gauge, int index, int interval) =>
        _radar[gauge][interval] is { } column && index >= 0 && index < column.Length ? column[index] : double.NaN;

    private double Radar(int gauge, int index, int intervals)
    {
        double sum = 0;
        for (int n = 0; n < intervals; n++)
        {
            sum += RadarAt(gauge, index, n);
        }

        return sum;
    }

    /// <summary>Nowcast rain over a gauge's local catchment (half at the gauge, half at the catchment's centre, as it is sampled).</summary>
    private double Catchment(IotHub.City.RiverGauge gauge, int index, int speed, int minutes) =>
        0.5 * (_nowcast.Accumulated(gauge.Location, index, speed, minutes) + _nowcast.Accumulated(gauge.CatchmentCentre, index, speed, minutes));

    private double CatchmentSum(int gauge, int index, int steps)
    {
        // The local catchment lies between the gauge and the gauges above it: average their rain.
        double sum = SumOf(_rain[gauge], index, steps);
        var up = _network.Upstream[gauge];
        foreach (int u in up)
        {
            sum += SumOf(_rain[u], index, steps);
        }

        return sum / (1 + up.Length);
    }

    private double Sum(int[] gauges, int index, int steps)
    {
        if (gauges.Length == 0)
        {
            return 0;
        }

        double sum = 0;
        foreach (int g in gauges)
        {
            sum += SumOf(_rain[g], index, steps);
        }

        return sum / gauges.Length;
    }

    private double Max(int[] gauges, int index)
    {
        double max = 0;
        foreach (int g in gauges)
        {
            max = Math.Max(max, Value(_rain[g], index));
        }

        return max;
    }

    private static double SumOf(double[] values, int index, int steps)
    {
        double sum = 0;
        for (int i = Math.Max(0, index - steps + 1); i <= index; i++)
        {
            double v = values[i];
            if (!double.IsNaN(v))
            {
                sum += v;
            }
        }

        return sum;
    }

    private static double Value(double[] values, int index) =>
        index >= 0 && index < values.Length && !double.IsNaN(values[index]) ? values[index] : 0;

    private static double Diff(double[] values, int index, int lag) =>
        index - lag >= 0 && !double.IsNaN(values[index - lag]) ? values[index] - values[index - lag] : 0;

    private static double Interpolate(double[] values, double position)
    {
        position = Math.Max(0, position);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, values.Length - 1);
        double a = values[lower], b = values[upper];
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return double.IsNaN(a) ? (double.IsNaN(b) ? 0 : b) : a;
        }

        return a + ((b - a) * (position - lower));
    }
}
