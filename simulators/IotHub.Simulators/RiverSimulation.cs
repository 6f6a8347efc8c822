using IotHub.City;

namespace IotHub.Simulators;

/// <summary>
/// Rainfall-runoff and routing for every river gauge. Each gauge's local catchment turns rain into
/// quick runoff through a cascade of three linear reservoirs (a Nash cascade) and into slow
/// groundwater flow; the flow of each upstream gauge arrives after its travel time and passes a
/// short channel-storage reservoir; the rating curve turns the total flow into the level.
/// Gauges are stepped upstream first, so one pass per step routes the whole network.
/// </summary>
internal sealed class RiverSimulation
{
    // Share of the rain that does not run off quickly and recharges groundwater, and how slowly it returns.
    private const double InfiltratingShare = 0.3;
    private const double GroundwaterTimeConstantHours = 48;

    // Channel storage between gauges, on top of the pure travel-time delay.
    private const double ChannelTimeConstantHours = 5.0 / 60.0;

    // A level must fall this far below flood danger before the danger state clears (DOMAIN.md: alerts must not flap).
    private const double DangerClearMargin = 0.10;

    private readonly RiverGauge[] _gauges;
    private readonly int[] _order;
    private readonly int[][] _upstream;
    private readonly int[] _lagSteps;
    private readonly double[] _quick1;
    private readonly double[] _quick2;
    private readonly double[] _quick3;
    private readonly double[] _groundwater;
    private readonly double[] _channel;
    private readonly double[] _flow;
    private readonly double[] _level;
    private readonly bool[] _inDanger;
    private readonly double[][] _flowHistory;
    private readonly RainRecord[] _rain;
    private readonly int _historyLength;
    private int _historyPosition;

    public RiverSimulation(CityScenario scenario, TimeSpan step)
    {
        var gauges = new List<RiverGauge>();
        foreach (var river in scenario.Rivers)
        {
            gauges.AddRange(river.Gauges);
        }

        _gauges = [.. gauges];
        int count = _gauges.Length;
        var index = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            index.Add(_gauges[i].DeviceId, i);
        }

        var upstream = new List<int>[count];
        for (int i = 0; i < count; i++)
        {
            upstream[i] = [];
        }

        _lagSteps = new int[count];
        int maxLag = 0;
        for (int i = 0; i < count; i++)
        {
            if (_gauges[i].DownstreamGaugeId is { } downstream)
            {
                upstream[index[downstream]].Add(i);
            }

            _lagSteps[i] = (int)Math.Round(_gauges[i].TravelTimeDownstream / step);
            maxLag = Math.Max(maxLag, _lagSteps[i]);
        }

        _upstream = new int[count][];
        for (int i = 0; i < count; i++)
        {
            _upstream[i] = [.. upstream[i]];
        }

        _order = TopologicalOrder(_upstream);
        _historyLength = maxLag + 1;
        _quick1 = new double[count];
        _quick2 = new double[count];
        _quick3 = new double[count];
        _groundwater = new double[count];
        _channel = new double[count];
        _flow = new double[count];
        _level = new double[count];
        _inDanger = new bool[count];
        _flowHistory = new double[count][];
        _rain = new RainRecord[count];
        for (int i = 0; i < count; i++)
        {
            _rain[i] = new RainRecord(step);
        }

        InitialiseDryWeather();
    }

    public int Count => _gauges.Length;

    public RiverGauge Gauge(int gauge) => _gauges[gauge];

    /// <summary>Level in metres at the gauge at the end of the last step, without sensor noise.</summary>
    public double Level(int gauge) => _level[gauge];

    /// <summary>Flow at the gauge, m3/s.</summary>
    public double Flow(int gauge) => _flow[gauge];

    /// <summary>The gauge has reached flood danger and not yet fallen clearly below it.</summary>
    public bool InDanger(int gauge) => _inDanger[gauge];

    public RainRecord Rain(int gauge) => _rain[gauge];

    /// <summary>Integrates one step of <paramref name="stepHours"/> ending at <paramref name="end"/> (since the start).</summary>
    public void Step(StormField storms, TimeSpan end, double stepHours)
    {
        var middle = end - TimeSpan.FromHours(stepHours / 2);
        _historyPosition = (_historyPosition + 1) % _historyLength;
        foreach (int i in _order)
        {
            var gauge = _gauges[i];
            double rain = 0, rainAtGauge = 0;
            if (!storms.IsDry)
            {
                // The local catchment's areal rain, from two samples: its centre and the gauge.
                rainAtGauge = storms.RainAt(gauge.Location, middle);
                rain = 0.5 * (rainAtGauge + storms.RainAt(gauge.CatchmentCentre, middle));
            }

            _rain[i].Add(rainAtGauge * stepHours);

            // Nash cascade, mm of storage and mm/h of flow; the builder keeps the time constant above the step.
            double k = Math.Max(gauge.ReservoirTimeConstant.TotalHours, stepHours);
            double q1 = _quick1[i] / k, q2 = _quick2[i] / k, q3 = _quick3[i] / k;
            _quick1[i] += (gauge.RunoffCoefficient * rain - q1) * stepHours;
            _quick2[i] += (q1 - q2) * stepHours;
            _quick3[i] += (q2 - q3) * stepHours;
            double qg = _groundwater[i] / GroundwaterTimeConstantHours;
            _groundwater[i] += (((1 - gauge.RunoffCoefficient) * InfiltratingShare * rain) - qg) * stepHours;

            // mm/h over km2 to m3/s: 1 mm/h x 1 km2 = 1000 m3/h = 1/3.6 m3/s.
            double localFlow = (q3 + qg) * gauge.LocalCatchmentArea / 3.6;

            double inflow = 0;
            foreach (int u in _upstream[i])
            {
                int lagged = (_historyPosition - _lagSteps[u] + _historyLength) % _historyLength;
                inflow += _flowHistory[u][lagged];
            }

            _channel[i] += (inflow - _channel[i]) * (1 - Math.Exp(-stepHours / ChannelTimeConstantHours));
            _flow[i] = gauge.BaseFlow + localFlow + _channel[i];
            _flowHistory[i][_historyPosition] = _flow[i];
            _level[i] = gauge.Rating.Level(_flow[i]);

            if (_level[i] >= gauge.Thresholds.FloodDanger)
            {
                _inDanger[i] = true;
            }
            else if (_level[i] < gauge.Thresholds.FloodDanger - DangerClearMargin)
            {
                _inDanger[i] = false;
            }
        }
    }

    // Dry weather: groundwater at a small steady yield, every flow history filled with the steady flow.
    private void InitialiseDryWeather()
    {
        foreach (int i in _order)
        {
            const double dryYield = 0.03; // mm/h of groundwater flow after a normal spell of weather
            _groundwater[i] = dryYield * GroundwaterTimeConstantHours;
            double inflow = 0;
            foreach (int u in _upstream[i])
            {
                inflow += _flow[u];
            }

            _channel[i] = inflow;
            _flow[i] = _gauges[i].BaseFlow + (dryYield * _gauges[i].LocalCatchmentArea / 3.6) + inflow;
            _level[i] = _gauges[i].Rating.Level(_flow[i]);
            _flowHistory[i] = new double[_historyLength];
            Array.Fill(_flowHistory[i], _flow[i]);
        }
    }

    // Kahn's algorithm, ties broken by scenario order so the result is stable.
    private static int[] TopologicalOrder(int[][] upstream)
    {
        int count = upstream.Length;
        var done = new bool[count];
        var order = new List<int>(count);
        while (order.Count < count)
        {
            bool progressed = false;
            for (int i = 0; i < count; i++)
            {
                if (done[i])
                {
                    continue;
                }

                bool ready = true;
                foreach (int u in upstream[i])
                {
                    ready &= done[u];
                }

                if (ready)
                {
                    done[i] = true;
                    order.Add(i);
                    progressed = true;
                }
            }

            if (!progressed)
            {
                // CityScenario rejects loops, so this is a bug.
                throw new InvalidOperationException("The gauges' DownstreamGaugeId links form a loop.");
            }
        }

        return [.. order];
    }
}
