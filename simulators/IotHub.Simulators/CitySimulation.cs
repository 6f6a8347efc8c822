using IotHub.City;

namespace IotHub.Simulators;

/// <summary>
/// The physics of a <see cref="CityScenario"/>: moving storm cells, rainfall-runoff and routing to
/// every river gauge, sewers filling and surcharging, trains and their car loads, traffic at
/// signals, and pedestrians and weather at the smart poles.
/// </summary>
/// <remarks>
/// <para>
/// State advances in fixed steps of <see cref="Step"/> of simulated time (rivers, sewers, queues),
/// so a call every second in real time costs nothing and a jump of months costs only its steps.
/// Readings are taken at <see cref="Now"/>: quantities that are functions of the clock (train
/// positions, signal phase, rain intensity, weather, people) are exact at that instant, and sensor
/// noise is a hash of (seed, device, field, second), so consecutive reads a few seconds apart differ
/// like real sensors and the same seed gives the same readings however often devices are read.
/// </para>
/// <para>Not thread-safe: advance and read from one thread, or lock around them.</para>
/// </remarks>
public sealed class CitySimulation
{
    /// <summary>The fixed simulated time step of the stateful physics.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(60);

    // Smart poles show a river's flood danger when one of its gauges is this close.
    private const double SignageRadiusKm = 6.0;

    private const string NormalSignage = "normal";

    private readonly CityScenario _scenario;
    private readonly int _seed;
    private readonly DateTimeOffset _start;
    private readonly double _stepHours = Step.TotalHours;
    private readonly StormField _storms;
    private readonly RadarNowcastErrors _nowcastErrors;
    private readonly WeatherModel _weather;
    private readonly RiverSimulation _rivers;
    private readonly string[] _riverNameOfGauge;
    private readonly SewerSimulation _sewers;
    private readonly TrafficSimulation _traffic;
    private readonly SubwaySimulation _subway;
    private readonly SmartPole[] _poles;
    private readonly int[][] _gaugesNearPole;
    private readonly Dictionary<string, (DeviceCategory Category, int Index, int DeviceNumber)> _devices;
    private long _steps;

    /// <summary>Creates the simulation of <paramref name="scenario"/> in dry weather at <paramref name="start"/>.</summary>
    /// <param name="scenario">The city.</param>
    /// <param name="seed">Seed of every random quantity: the same seed gives the same readings.</param>
    /// <param name="start">Simulated start time; the scenario's scheduled storms are relative to it.</param>
    public CitySimulation(CityScenario scenario, int seed, DateTimeOffset start)
        : this(scenario, seed, start, RadarNowcastErrors.Calibrated)
    {
    }

    /// <summary>Creates the simulation of <paramref name="scenario"/> with the rain nowcast's errors <paramref name="nowcastErrors"/>.</summary>
    /// <param name="scenario">The city.</param>
    /// <param name="seed">Seed of every random quantity: the same seed gives the same readings.</param>
    /// <param name="start">Simulated start time; the scenario's scheduled storms are relative to it.</param>
    /// <param name="nowcastErrors">Errors of the radar rain nowcast the river gauges relay.</param>
    public CitySimulation(CityScenario scenario, int seed, DateTimeOffset start, RadarNowcastErrors nowcastErrors)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(nowcastErrors);
        _nowcastErrors = nowcastErrors;
        _scenario = scenario;
        _seed = seed;
        _start = start;
        Now = start;
        _storms = new StormField(scenario, seed);
        _weather = new WeatherModel(seed);
        _rivers = new RiverSimulation(scenario, Step);
        _sewers = new SewerSimulation(scenario, seed);
        _traffic = new TrafficSimulation(scenario, seed);
        _subway = new SubwaySimulation(scenario, seed);
        _poles = [.. scenario.SmartPoles];

        _riverNameOfGauge = new string[_rivers.Count];
        int gaugeNumber = 0;
        foreach (var river in scenario.Rivers)
        {
            foreach (var _ in river.Gauges)
            {
                _riverNameOfGauge[gaugeNumber++] = river.Name;
            }
        }

        _gaugesNearPole = new int[_poles.Length][];
        for (int p = 0; p < _poles.Length; p++)
        {
            var near = new List<(double Distance, int Gauge)>();
            for (int g = 0; g < _rivers.Count; g++)
            {
                double distance = _poles[p].Location.DistanceKm(_rivers.Gauge(g).Location);
                if (distance <= SignageRadiusKm)
                {
                    near.Add((distance, g));
                }
            }

            near.Sort();
            _gaugesNearPole[p] = near.ConvertAll(n => n.Gauge).ToArray();
        }

        _devices = MapDevices(scenario);
        _storms.Prepare(-Step, Step);
    }

    /// <summary>The simulated time the readings are for.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>The scenario simulated.</summary>
    public CityScenario Scenario => _scenario;

    /// <summary>
    /// Advances the simulation to <paramref name="time"/>, stepping the physics in fixed
    /// <see cref="Step"/>s; cheap when called every second, linear in simulated time for backfills.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is before <see cref="Now"/>.</exception>
    public void AdvanceTo(DateTimeOffset time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(time, Now);
        while (_start + (Step * (_steps + 1)) <= time)
        {
            StepOnce();
        }

        Now = time;
    }

    /// <summary>
    /// Current readings of a device: one entry per field of its kind (see <see cref="DeviceKinds"/>),
    /// typed per <see cref="FieldSpec.Type"/> (Float: <see cref="double"/>, Integer: <see cref="long"/>,
    /// Boolean: <see cref="bool"/>, String: <see cref="string"/>), in the kind's field order.
    /// A manhole omits <c>level</c> while <c>surcharged</c> is true: its gauge cannot read a full pipe.
    /// </summary>
    /// <exception cref="ArgumentException">The scenario has no device <paramref name="deviceId"/>.</exception>
    public IReadOnlyList<KeyValuePair<string, object>> Read(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (!_devices.TryGetValue(deviceId, out var device))
        {
            throw new ArgumentException($"The scenario has no device '{deviceId}'.", nameof(deviceId));
        }

        return device.Category switch
        {
            DeviceCategory.RiverGauge => ReadGauge(device.Index, device.DeviceNumber),
            DeviceCategory.Manhole => ReadManhole(device.Index, device.DeviceNumber),
            DeviceCategory.SmartPole => ReadPole(device.Index, device.DeviceNumber),
            DeviceCategory.TrainCar => ReadCar(device.Index),
            _ => ReadDetector(device.Index),
        };
    }

    /// <summary>
    /// Changes the signal timing of an intersection from now on, so recommended timings can be tried
    /// in closed loop.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown intersection, or a timing outside 30 s-300 s cycle and (0, 1) split.</exception>
    public void SetSignalTiming(string intersectionId, TimeSpan cycle, double greenSplit)
    {
        if (cycle < TimeSpan.FromSeconds(30) || cycle > TimeSpan.FromSeconds(300))
        {
            throw new ArgumentException("The cycle must be between 30 and 300 seconds.", nameof(cycle));
        }

        if (!(greenSplit is > 0 and < 1))
        {
            throw new ArgumentException("The green split must be between 0 and 1.", nameof(greenSplit));
        }

        if (!_traffic.SetTiming(intersectionId, cycle, greenSplit))
        {
            throw new ArgumentException($"The scenario has no intersection '{intersectionId}'.", nameof(intersectionId));
        }
    }

    /// <summary>Rain intensity, mm/h, falling at <paramref name="point"/> now (noise-free ground truth).</summary>
    public double RainAt(GeoPoint point) => _storms.RainAt(point, Now - _start);

    /// <summary>
    /// Rain intensity, mm/h, the radar nowcast issued now expects at <paramref name="point"/> <paramref name="minutesAhead"/>
    /// from now (<see cref="RadarNowcastErrors"/>); <see cref="RainAt"/> at that time is the truth it forecasts.
    /// </summary>
    public double RainNowcastAt(GeoPoint point, double minutesAhead) => RainNowcastAt(point, minutesAhead, _nowcastErrors);

    /// <summary>As <see cref="RainNowcastAt(GeoPoint, double)"/>, with the errors <paramref name="errors"/> instead of the simulation's (to verify and calibrate them).</summary>
    public double RainNowcastAt(GeoPoint point, double minutesAhead, RadarNowcastErrors errors) => _storms.NowcastAt(point, Now - _start, minutesAhead, errors);

    /// <summary>Noise-free level, metres, at a river gauge (ground truth for forecast evaluation).</summary>
    /// <exception cref="ArgumentException"><paramref name="deviceId"/> is not a river gauge of the scenario.</exception>
    public double TrueLevel(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (!_devices.TryGetValue(deviceId, out var device) || device.Category != DeviceCategory.RiverGauge)
        {
            throw new ArgumentException($"'{deviceId}' is not a river gauge of the scenario.", nameof(deviceId));
        }

        return _rivers.Level(device.Index);
    }

    private void StepOnce()
    {
        _steps++;
        var end = Step * _steps;
        var endTime = _start + end;

        // Cells raining at any time up to the end of the next step: reads between steps see them too.
        _storms.Prepare(end - Step, end + Step);
        _rivers.Step(_storms, end, _stepHours);
        _sewers.Step(_storms, end, endTime, _stepHours);
        _traffic.Step(endTime, _stepHours);
    }

    private List<KeyValuePair<string, object>> ReadGauge(int gauge, int deviceNumber)
    {
        long tick = Now.ToUnixTimeSeconds();
        var record = _rivers.Rain(gauge);

        // Pressure transducer: a few millimetres of noise (wind on the water surface).
        double level = _rivers.Level(gauge) + (0.004 * SensorNoise.Gaussian(_seed, NoiseStream.RiverLevel, deviceNumber, tick));
        var site = _rivers.Gauge(gauge);
        double rainRate = _storms.RainAt(site.Location, Now - _start);
        var readings = new List<KeyValuePair<string, object>>(4 + DeviceKinds.RainNowcastFields.Count)
        {
            new("level", Math.Round(level, 4)),
            new("rain_10min", Math.Round(record.Last10Minutes, 1)),
            new("rain_rate", Math.Round(rainRate, 1)),
            new("rain_24h", Math.Round(record.Last24Hours, 1)),
        };

        // The nowcast of the local catchment's rain (sampled as the physics samples it: at the gauge and the centre),
        // each 10-minute amount from five rates.
        for (int n = 0; n < DeviceKinds.RainNowcastFields.Count; n++)
        {
            double sum = 0;
            for (int sample = 0; sample < 5; sample++)
            {
                double ahead = (n * 10) + 1 + (2 * sample);
                sum += _storms.NowcastAt(site.Location, Now - _start, ahead, _nowcastErrors) + _storms.NowcastAt(site.CatchmentCentre, Now - _start, ahead, _nowcastErrors);
            }

            readings.Add(new(DeviceKinds.RainNowcastFields[n], Math.Round(sum / 10 / 6, 1)));
        }

        return readings;
    }

    private List<KeyValuePair<string, object>> ReadManhole(int manhole, int deviceNumber)
    {
        long tick = Now.ToUnixTimeSeconds();
        var pipe = _sewers.Manhole(manhole);
        double ratio = _sewers.FlowRatio(manhole);
        bool surcharged = _sewers.Surcharged(manhole);

        // H2S builds up in slow, warm sewage; about 0.5-5 ppm at the cover.
        double temperature = _weather.Temperature(Now, 0);
        double baseline = 0.5 + (2.0 * SensorNoise.Uniform(_seed, NoiseStream.Sewer, deviceNumber, 0));
        double h2s = baseline * (1 + (0.04 * (temperature - 15))) * Math.Clamp(1.4 - ratio, 0.2, 1.4);
        h2s = Math.Max(0, h2s + (0.08 * SensorNoise.Gaussian(_seed, NoiseStream.Sewer + 1, deviceNumber, tick)));

        // Lithium primary cell: 3.6 V, sagging slowly over the months.
        double days = (Now - _start).TotalDays;
        double battery = 3.62 - (0.0002 * days) - (0.02 * SensorNoise.Uniform(_seed, NoiseStream.Sewer + 2, deviceNumber, 0))
            + (0.003 * SensorNoise.Gaussian(_seed, NoiseStream.Sewer + 3, deviceNumber, tick));

        var readings = new List<KeyValuePair<string, object>>(5);
        if (!surcharged)
        {
            double level = PartFullPipe.DepthRatio(ratio) * pipe.PipeDiameter;
            level = Math.Clamp(level + (0.003 * SensorNoise.Gaussian(_seed, NoiseStream.Sewer + 4, deviceNumber, tick)), 0, pipe.PipeDiameter);
            readings.Add(new("level", Math.Round(level, 3)));
        }

        readings.Add(new("surcharged", surcharged));
        readings.Add(new("h2s", Math.Round(h2s, 2)));
        readings.Add(new("cover_open", false));
        readings.Add(new("battery", Math.Round(battery, 3)));
        return readings;
    }

    private List<KeyValuePair<string, object>> ReadPole(int pole, int deviceNumber)
    {
        long tick = Now.ToUnixTimeSeconds();
        var where = _poles[pole];
        double rain = _storms.RainAt(where.Location, Now - _start);
        double hour = TokyoTime.HourOfDay(Now);
        bool weekend = TokyoTime.IsWeekend(Now);

        double presence = PedestrianModel.Presence(hour, weekend, rain) * where.PeakPeopleInView;
        double people = presence + (Math.Sqrt(presence + 1) * SensorNoise.Gaussian(_seed, NoiseStream.Pole, deviceNumber, tick));
        var (away, towards) = PedestrianModel.Flows(hour, weekend, rain);
        double flowScale = where.PeakPeopleInView * 1.5;
        double flowAway = (away * flowScale) + (Math.Sqrt((away * flowScale) + 1) * 0.7 * SensorNoise.Gaussian(_seed, NoiseStream.Pole + 1, deviceNumber, tick / 10));
        double flowTowards = (towards * flowScale) + (Math.Sqrt((towards * flowScale) + 1) * 0.7 * SensorNoise.Gaussian(_seed, NoiseStream.Pole + 2, deviceNumber, tick / 10));

        double temperature = _weather.Temperature(Now, rain) + (0.05 * SensorNoise.Gaussian(_seed, NoiseStream.Weather, deviceNumber, tick));
        double humidity = _weather.Humidity(Now, rain) + (0.3 * SensorNoise.Gaussian(_seed, NoiseStream.Weather + 1, deviceNumber, tick));
        double wind = _weather.WindSpeed(Now, rain) * (1 + (0.25 * SensorNoise.Gaussian(_seed, NoiseStream.Weather + 2, deviceNumber, tick)));

        // LAeq: city background plus crowd and traffic, plus rain on the pavement.
        double noise = 50 + (8 * Math.Log10(1 + (Math.Max(0, people) / 3))) + Math.Min(8, rain / 8)
            + (1.5 * SensorNoise.Gaussian(_seed, NoiseStream.Pole + 3, deviceNumber, tick));

        return
        [
            new("people_count", (long)Math.Max(0, Math.Round(people))),
            new("flow_towards", (long)Math.Max(0, Math.Round(flowTowards))),
            new("flow_away", (long)Math.Max(0, Math.Round(flowAway))),
            new("temperature", Math.Round(temperature, 2)),
            new("humidity", Math.Round(Math.Clamp(humidity, 0, 100), 1)),
            new("wind_speed", Math.Round(Math.Max(0, wind), 2)),
            new("rain_rate", Math.Round(rain, 1)),
            new("noise", Math.Round(noise, 1)),
            new("signage", Signage(pole)),
        ];
    }

    private string Signage(int pole)
    {
        foreach (int gauge in _gaugesNearPole[pole])
        {
            if (_rivers.InDanger(gauge))
            {
                return $"Flood danger: {_riverNameOfGauge[gauge]} at {_rivers.Gauge(gauge).Name}. Evacuate to upper floors or higher ground.";
            }
        }

        return NormalSignage;
    }

    private List<KeyValuePair<string, object>> ReadCar(int car)
    {
        var (load, passengers, loadFactor, station) = _subway.Read(car, Now);
        return
        [
            new("load", Math.Round(load, 2)),
            new("passengers", passengers),
            new("load_factor", Math.Round(loadFactor, 1)),
            new("station", station),
        ];
    }

    private List<KeyValuePair<string, object>> ReadDetector(int detector)
    {
        var (volume, occupancy, speed, queueLength) = _traffic.Read(detector, Now);
        return
        [
            new("volume", volume),
            new("occupancy", Math.Round(occupancy, 3)),
            new("speed", Math.Round(speed, 1)),
            new("queue_length", Math.Round(queueLength, 1)),
        ];
    }

    private static Dictionary<string, (DeviceCategory, int, int)> MapDevices(CityScenario scenario)
    {
        var numbers = new Dictionary<string, int>(scenario.Devices.Count, StringComparer.Ordinal);
        for (int i = 0; i < scenario.Devices.Count; i++)
        {
            numbers.Add(scenario.Devices[i].Id, i);
        }

        var map = new Dictionary<string, (DeviceCategory, int, int)>(scenario.Devices.Count, StringComparer.Ordinal);
        void Add(string id, DeviceCategory category, int index) => map.Add(id, (category, index, numbers[id]));

        // The same orders the part simulations use.
        int gauge = 0, manhole = 0, car = 0, detector = 0;
        foreach (var river in scenario.Rivers)
        {
            foreach (var g in river.Gauges)
            {
                Add(g.DeviceId, DeviceCategory.RiverGauge, gauge++);
            }
        }

        foreach (var district in scenario.SewerDistricts)
        {
            foreach (var m in district.Manholes)
            {
                Add(m.DeviceId, DeviceCategory.Manhole, manhole++);
            }
        }

        for (int p = 0; p < scenario.SmartPoles.Count; p++)
        {
            Add(scenario.SmartPoles[p].DeviceId, DeviceCategory.SmartPole, p);
        }

        foreach (var line in scenario.SubwayLines)
        {
            for (int train = 1; train <= line.TrainCount; train++)
            {
                for (int c = 1; c <= line.CarsPerTrain; c++)
                {
                    Add(line.CarDeviceId(train, c), DeviceCategory.TrainCar, car++);
                }
            }
        }

        foreach (var intersection in scenario.Intersections)
        {
            for (int lane = 1; lane <= intersection.Lanes; lane++)
            {
                Add(intersection.DetectorDeviceId(lane), DeviceCategory.TrafficDetector, detector++);
            }
        }

        return map;
    }
}
