using IotHub.City;

namespace IotHub.Simulators;

/// <summary>
/// Signalised approaches with a detector per lane. Arrivals follow a daily demand profile; the
/// signal discharges at the saturation flow during green. Beyond capacity a residual queue grows
/// (a point queue); within each cycle the queue builds in red and clears in green. The detectors
/// see free flow on the uncongested branch of a Greenshields fundamental diagram, or, once the
/// queue spills back over them, the discharge flow on the congested branch. Signal timings can be
/// changed while running.
/// </summary>
internal sealed class TrafficSimulation
{
    // DOMAIN.md: about 2,000 veh/h of green per lane.
    private const double SaturationFlow = 2000;

    // Greenshields: free speed on an urban arterial (km/h), jam density (veh/km/lane).
    private const double FreeSpeed = 50;
    private const double JamDensity = 140;
    private const double MaxFlow = FreeSpeed * JamDensity / 4;

    // Metres a stopped vehicle takes in a queue, and the length a vehicle occupies the loop (vehicle + loop).
    private const double QueueSpacing = 7.0;
    private const double OccupiedLength = 7.0;

    private readonly int _seed;
    private readonly Intersection[] _intersections;
    private readonly int[] _detectorIntersection;
    private readonly int[] _detectorLane;
    private readonly double[] _residualQueue;
    private readonly double[] _cycleSeconds;
    private readonly double[] _greenSplit;
    private readonly double[] _cycleOffsetSeconds;

    public TrafficSimulation(CityScenario scenario, int seed)
    {
        _seed = seed;
        _intersections = [.. scenario.Intersections];
        var intersectionOf = new List<int>();
        var laneOf = new List<int>();
        _cycleSeconds = new double[_intersections.Length];
        _greenSplit = new double[_intersections.Length];
        _cycleOffsetSeconds = new double[_intersections.Length];
        for (int i = 0; i < _intersections.Length; i++)
        {
            _cycleSeconds[i] = _intersections[i].Cycle.TotalSeconds;
            _greenSplit[i] = _intersections[i].GreenSplit;
            _cycleOffsetSeconds[i] = SensorNoise.Uniform(seed, NoiseStream.TrafficDay, i, -1) * _cycleSeconds[i];
            for (int lane = 1; lane <= _intersections[i].Lanes; lane++)
            {
                intersectionOf.Add(i);
                laneOf.Add(lane);
            }
        }

        _detectorIntersection = [.. intersectionOf];
        _detectorLane = [.. laneOf];
        _residualQueue = new double[_detectorIntersection.Length];
    }

    public int Count => _detectorIntersection.Length;

    public Intersection IntersectionOf(int detector) => _intersections[_detectorIntersection[detector]];

    /// <summary>Changes an intersection's timing from now on; false when the id is unknown.</summary>
    public bool SetTiming(string intersectionId, TimeSpan cycle, double greenSplit)
    {
        for (int i = 0; i < _intersections.Length; i++)
        {
            if (string.Equals(_intersections[i].Id, intersectionId, StringComparison.Ordinal))
            {
                _cycleSeconds[i] = cycle.TotalSeconds;
                _greenSplit[i] = greenSplit;
                return true;
            }
        }

        return false;
    }

    public void Step(DateTimeOffset endTime, double stepHours)
    {
        for (int d = 0; d < _residualQueue.Length; d++)
        {
            double demand = Demand(d, endTime);
            double capacity = SaturationFlow * _greenSplit[_detectorIntersection[d]];

            // Point queue, vehicles; bounded by the link: spillback into the previous intersection is not modelled yet.
            _residualQueue[d] = Math.Clamp(_residualQueue[d] + ((demand - capacity) * stepHours), 0, 300);
        }
    }

    /// <summary>The detector's readings at <paramref name="now"/>.</summary>
    public (long Volume, double Occupancy, double Speed, double QueueLength) Read(int detector, DateTimeOffset now)
    {
        int i = _detectorIntersection[detector];
        double demand = Demand(detector, now);
        double green = _greenSplit[i];
        double cycle = _cycleSeconds[i];
        double red = cycle * (1 - green);
        double capacity = SaturationFlow * green;

        // Where the signal is in its cycle (red first), from the simulated clock.
        double seconds = (now.ToUnixTimeMilliseconds() / 1000.0) + _cycleOffsetSeconds[i];
        double intoCycle = seconds - (Math.Floor(seconds / cycle) * cycle);
        double cyclicQueue = intoCycle < red
            ? demand * intoCycle / 3600
            : Math.Max(0, (demand * red / 3600) - ((SaturationFlow - demand) * (intoCycle - red) / 3600));
        double queueLength = (_residualQueue[detector] + cyclicQueue) * QueueSpacing;

        bool queueOverDetector = queueLength >= _intersections[i].DetectorDistance;
        double flow = queueOverDetector ? Math.Min(demand, capacity) : Math.Min(demand, MaxFlow * 0.98);
        double root = Math.Sqrt(Math.Max(0, 1 - (flow / MaxFlow)));
        double density = queueOverDetector ? JamDensity / 2 * (1 + root) : JamDensity / 2 * (1 - root);
        double speed = FreeSpeed * (1 - (density / JamDensity));

        // Counts over the last minute, a sliding window: noise of the window, small between reads seconds apart.
        long tick = now.ToUnixTimeSeconds();
        double perMinute = flow / 60;
        double volume = perMinute + (Math.Sqrt(perMinute) * 0.5 * SensorNoise.Gaussian(_seed, NoiseStream.Traffic, detector, tick));
        double occupancy = Math.Clamp((density * OccupiedLength / 1000) * (1 + (0.03 * SensorNoise.Gaussian(_seed, NoiseStream.Traffic + 1, detector, tick))), 0, 1);
        speed = Math.Max(1, speed + (1.5 * SensorNoise.Gaussian(_seed, NoiseStream.Traffic + 2, detector, tick)));
        return ((long)Math.Max(0, Math.Round(volume)), occupancy, speed, queueLength);
    }

    /// <summary>Arrivals, vehicles per hour in this detector's lane.</summary>
    private double Demand(int detector, DateTimeOffset time)
    {
        int i = _detectorIntersection[detector];
        double hour = TokyoTime.HourOfDay(time);
        double profile = TokyoTime.IsWeekend(time)
            ? 0.12 + (0.55 * DailyProfile.Window(hour, 9, 20)) + (0.1 * DailyProfile.Bell(hour, 15, 2))
            : 0.12 + (0.6 * DailyProfile.Window(hour, 6.5, 21)) + (0.4 * DailyProfile.Bell(hour, 8.0, 1.0)) + (0.35 * DailyProfile.Bell(hour, 17.5, 1.3));

        // The kerb lane carries buses and left turners; the others a little more.
        int lane = _detectorLane[detector];
        double laneFactor = lane == 1 ? 0.85 : 1.0 + (0.03 * (lane - 2));
        double day = 1 + (0.05 * SensorNoise.Gaussian(_seed, NoiseStream.TrafficDay, i, TokyoTime.DayNumber(time)));
        return _intersections[i].PeakDemandPerLane * profile * laneFactor * day;
    }
}
