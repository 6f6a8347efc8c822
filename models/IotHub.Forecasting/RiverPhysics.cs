namespace IotHub.Forecasting;

/// <summary>
/// A conceptual rainfall-runoff forecast the river model starts from: each gauge's local catchment
/// as a cascade of three linear reservoirs (its time constant, runoff coefficient and area from the
/// scenario), driven by the observed catchment rain (half the gauge's own, half interpolated at the
/// catchment's centre), and the upstream gauges' observed flow arriving after their travel time.
/// At each origin the cascade is run on from its state with the nowcast rain (or none), the
/// upstream flow still on its way is taken from the upstream gauge's own forecast, and the
/// difference between the observed and the modelled flow now is carried as a constant correction
/// (groundwater, rain the gauges missed). The rain after the origin is the radar nowcast the gauges relay where the frame
/// holds it (none after its hour), else the gauges' field moved along. Only rows up to the origin are read: no future truth.
/// </summary>
internal sealed class RiverPhysics
{
    /// <summary>Names of the features <see cref="Write"/> adds.</summary>
    public static readonly string[] Names =
    [
        "phys_d_level", "phys_d_level_dry", "phys_flow", "phys_flow_dry", "phys_correction", "phys_quick_now", "phys_peak_flow",
    ];

    /// <summary>Furthest horizon, in rows, the forecast is kept for.</summary>
    public const int MaxSteps = 12;

    // Sub-steps per row for the reservoirs (1-minute steps on 10-minute rows).
    private const double SubStepMinutes = 1;

    private readonly RiverNetwork _network;
    private readonly SeriesFrame _frame;
    private readonly double[][] _flow;
    private readonly RainNowcast _nowcast;
    private readonly Func<int, int, int, double> _radar;
    private readonly int[] _order;
    private readonly double[][][] _state;
    private readonly float[]?[] _cache;
    private readonly int _subSteps;

    /// <summary>The cascade over <paramref name="frame"/>; <paramref name="radar"/> gives the radar nowcast (gauge, origin, 10-minute interval: mm, NaN when none), which drives the forecast where present.</summary>
    public RiverPhysics(RiverNetwork network, SeriesFrame frame, double[][] flow, double[][] rain, RainNowcast nowcast, Func<int, int, int, double> radar)
    {
        _radar = radar;
        _network = network;
        _frame = frame;
        _flow = flow;
        _nowcast = nowcast;
        int n = network.Gauges.Length;
        _order = UpstreamFirst(network);
        _subSteps = Math.Max(1, (int)Math.Round(frame.Step.TotalMinutes / SubStepMinutes));
        _state = new double[n][][];
        _cache = new float[frame.Length][];
        double hours = frame.Step.TotalHours;
        for (int g = 0; g < n; g++)
        {
            var gauge = network.Gauges[g];
            _state[g] = new double[3][];
            for (int r = 0; r < 3; r++)
            {
                _state[g][r] = new double[frame.Length];
            }

            double s1 = 0, s2 = 0, s3 = 0;
            for (int i = 0; i < frame.Length; i++)
            {
                double atGauge = double.IsNaN(rain[g][i]) ? nowcast.RainAt(gauge.Location, i) : rain[g][i];
                double mmPerHour = 0.5 * (atGauge + nowcast.RainAt(gauge.CatchmentCentre, i)) / hours;
                (s1, s2, s3) = Advance(g, s1, s2, s3, mmPerHour);
                _state[g][0][i] = s1;
                _state[g][1][i] = s2;
                _state[g][2][i] = s3;
            }
        }
    }

    /// <summary>Writes the features of gauge <paramref name="gauge"/> at origin <paramref name="index"/> for a horizon of <paramref name="steps"/> rows into <paramref name="f"/> from <paramref name="k"/>.</summary>
    public int Write(float[] f, int k, int gauge, int index, int steps)
    {
        steps = Math.Clamp(steps, 0, MaxSteps);
        var rating = _network.Gauges[gauge].Rating;
        double design = _network.DesignFlow[gauge];
        double level = rating.Level(Observed(gauge, index) * design);
        var forecasts = Forecasts(index);
        int n = _network.Gauges.Length;
        int dry = (MaxSteps + 1) * n;
        double Flow(int at) => Math.Max(0, forecasts[at + (steps * n) + gauge]);
        f[k++] = (float)(rating.Level(Flow(0) * design) - level);
        f[k++] = (float)(rating.Level(Flow(dry) * design) - level);
        f[k++] = (float)Flow(0);
        f[k++] = (float)Flow(dry);
        f[k++] = (float)Correction(gauge, index);
        f[k++] = (float)(Quick(gauge, _state[gauge][2][index]) / design);
        double peak = 0;
        for (int s = 1; s <= steps; s++)
        {
            peak = Math.Max(peak, forecasts[(s * n) + gauge]);
        }

        f[k++] = (float)peak;
        return k;
    }

    /// <summary>
    /// Flow (as a share of the flow at flood danger) of every gauge 0..<see cref="MaxSteps"/> rows after
    /// <paramref name="index"/>, [step * gauges + gauge]: first with the nowcast rain, then with no rain after the origin.
    /// </summary>
    private float[] Forecasts(int index)
    {
        if (_cache[index] is { } cached)
        {
            return cached;
        }

        int n = _network.Gauges.Length;
        var result = new float[2 * (MaxSteps + 1) * n];
        Forecast(index, _nowcast.Motion(index), result.AsSpan(0, (MaxSteps + 1) * n));
        Forecast(index, -1, result.AsSpan((MaxSteps + 1) * n));
        _cache[index] = result;
        return result;
    }

    /// <summary>One forecast into <paramref name="result"/>; <paramref name="speed"/> -1 means no rain after the origin.</summary>
    private void Forecast(int index, int speed, Span<float> result)
    {
        int n = _network.Gauges.Length;
        double minutes = _frame.Step.TotalMinutes;
        foreach (int g in _order)
        {
            var gauge = _network.Gauges[g];
            double design = _network.DesignFlow[g];
            double s1 = _state[g][0][index], s2 = _state[g][1][index], s3 = _state[g][2][index];
            double correction = Correction(g, index);
            result[g] = (float)Observed(g, index);
            bool radar = speed >= 0 && !double.IsNaN(_radar(g, index, 0));
            for (int s = 1; s <= MaxSteps; s++)
            {
                double rain = speed < 0 ? 0 : radar ? RadarRate(g, index, s)
                    : 0.5 * (_nowcast.Advected(gauge.Location, index, speed, s * minutes)
                    + _nowcast.Advected(gauge.CatchmentCentre, index, speed, s * minutes)) / _frame.Step.TotalHours;
                (s1, s2, s3) = Advance(g, s1, s2, s3, rain);
                double upstream = 0;
                foreach (int u in _network.Upstream[g])
                {
                    double position = s - _network.LagSteps(u, _frame.Step) - ChannelDelaySteps;
                    upstream += UpstreamFlow(result, u, index, position) * _network.DesignFlow[u];
                }

                result[(s * n) + g] = (float)(((gauge.BaseFlow + Quick(g, s3) + upstream) / design) + correction);
            }
        }
    }

    /// <summary>The radar nowcast's rain rate, mm/h, over gauge <paramref name="g"/>'s catchment in row <paramref name="step"/> after the origin (none beyond the nowcast's hour).</summary>
    private double RadarRate(int g, int index, int step)
    {
        double minutes = _frame.Step.TotalMinutes;
        int interval = (int)Math.Ceiling(step * minutes / 10) - 1;
        if (interval >= RiverColumns.RainNowcastIntervals)
        {
            return 0;
        }

        double mm = _radar(g, index, interval);
        return double.IsNaN(mm) ? 0 : mm / (10 / 60.0);
    }

    // The channel reservoir between gauges (5 minutes) delays a rise by about its time constant.
    private double ChannelDelaySteps => 5.0 / _frame.Step.TotalMinutes;

    /// <summary>Upstream gauge <paramref name="u"/>'s flow at <paramref name="position"/> rows after the origin: observed up to it, its forecast after.</summary>
    private double UpstreamFlow(ReadOnlySpan<float> forecast, int u, int index, double position)
    {
        int n = _network.Gauges.Length;
        if (position <= 0)
        {
            double at = Math.Max(0, index + position);
            int lower = (int)Math.Floor(at);
            int upper = Math.Min(lower + 1, index);
            double a = Observed(u, lower), b = Observed(u, upper);
            return a + ((b - a) * (at - lower));
        }

        int lo = Math.Min((int)Math.Floor(position), MaxSteps);
        int hi = Math.Min(lo + 1, MaxSteps);
        double fraction = position - Math.Floor(position);
        return forecast[(lo * n) + u] + ((forecast[(hi * n) + u] - forecast[(lo * n) + u]) * fraction);
    }

    private double Observed(int g, int index)
    {
        for (int i = index; i >= 0; i--)
        {
            if (!double.IsNaN(_flow[g][i]))
            {
                return _flow[g][i];
            }
        }

        return 0;
    }

    /// <summary>Observed flow now minus the modelled one (base, local quick flow, upstream arrived), as a share of the design flow.</summary>
    private double Correction(int g, int index)
    {
        var gauge = _network.Gauges[g];
        double upstream = 0;
        foreach (int u in _network.Upstream[g])
        {
            upstream += UpstreamFlow([], u, index, -_network.LagSteps(u, _frame.Step) - ChannelDelaySteps) * _network.DesignFlow[u];
        }

        double modelled = (gauge.BaseFlow + Quick(g, _state[g][2][index]) + upstream) / _network.DesignFlow[g];
        return Observed(g, index) - modelled;
    }

    /// <summary>Quick flow out of the last reservoir, m3/s (1 mm/h over 1 km2 is 1/3.6 m3/s).</summary>
    private double Quick(int g, double s3)
    {
        var gauge = _network.Gauges[g];
        return s3 / TimeConstantHours(g) * gauge.LocalCatchmentArea / 3.6;
    }

    private double TimeConstantHours(int g) => Math.Max(_network.Gauges[g].ReservoirTimeConstant.TotalHours, SubStepMinutes / 60);

    /// <summary>One row of the Nash cascade in 1-minute steps with a rain rate of <paramref name="rain"/> mm/h.</summary>
    private (double S1, double S2, double S3) Advance(int g, double s1, double s2, double s3, double rain)
    {
        double k = TimeConstantHours(g);
        double dt = SubStepMinutes / 60;
        double runoff = _network.Gauges[g].RunoffCoefficient * rain;
        for (int m = 0; m < _subSteps; m++)
        {
            double q1 = s1 / k, q2 = s2 / k, q3 = s3 / k;
            s1 += (runoff - q1) * dt;
            s2 += (q1 - q2) * dt;
            s3 += (q2 - q3) * dt;
        }

        return (s1, s2, s3);
    }

    private static int[] UpstreamFirst(RiverNetwork network)
    {
        int n = network.Gauges.Length;
        var done = new bool[n];
        var order = new List<int>(n);
        for (int pass = 0; pass < n && order.Count < n; pass++)
        {
            for (int g = 0; g < n; g++)
            {
                if (!done[g] && network.Upstream[g].All(u => done[u]))
                {
                    done[g] = true;
                    order.Add(g);
                }
            }
        }

        return [.. order];
    }
}
