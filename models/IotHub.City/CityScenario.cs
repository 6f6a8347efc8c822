using System.Globalization;

namespace IotHub.City;

/// <summary>
/// A city to simulate: its rivers, sewers, smart poles, subway lines and signalised
/// intersections, the devices on them, and the weather it is given (scheduled storm cells plus
/// a rate of random ones). <see cref="Demo"/> is a small city for the demo; <see cref="Default"/>
/// is Tokyo-like.
/// </summary>
public sealed class CityScenario
{
    private static readonly Lazy<CityScenario> DemoScenario = new(DemoCity.Build);
    private static readonly Lazy<CityScenario> DefaultScenario = new(TokyoCity.Build);

    private readonly Dictionary<string, DeviceSpec> _devicesById;

    /// <summary>Creates a scenario and checks it; a mistake throws an <see cref="ArgumentException"/> naming the field.</summary>
    /// <param name="name">Scenario name.</param>
    /// <param name="rivers">Rivers with their gauges, upstream to downstream.</param>
    /// <param name="sewerDistricts">Sewer districts with their manholes.</param>
    /// <param name="smartPoles">Smart poles.</param>
    /// <param name="subwayLines">Subway lines with their instrumented trains.</param>
    /// <param name="intersections">Signalised intersections with lane detectors.</param>
    /// <param name="scheduledStorms">Storm cells that will happen, relative to the simulation's start.</param>
    /// <param name="randomStormsPerDay">Mean number of further random storm cells per simulated day (0: none).</param>
    public CityScenario(
        string name,
        IReadOnlyList<River> rivers,
        IReadOnlyList<SewerDistrict> sewerDistricts,
        IReadOnlyList<SmartPole> smartPoles,
        IReadOnlyList<SubwayLine> subwayLines,
        IReadOnlyList<Intersection> intersections,
        IReadOnlyList<StormCell> scheduledStorms,
        double randomStormsPerDay)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(rivers);
        ArgumentNullException.ThrowIfNull(sewerDistricts);
        ArgumentNullException.ThrowIfNull(smartPoles);
        ArgumentNullException.ThrowIfNull(subwayLines);
        ArgumentNullException.ThrowIfNull(intersections);
        ArgumentNullException.ThrowIfNull(scheduledStorms);
        if (!(randomStormsPerDay >= 0) || double.IsInfinity(randomStormsPerDay))
        {
            throw new ArgumentOutOfRangeException(nameof(randomStormsPerDay), randomStormsPerDay, "randomStormsPerDay must be a finite number of at least 0.");
        }

        Name = name;
        Rivers = rivers;
        SewerDistricts = sewerDistricts;
        SmartPoles = smartPoles;
        SubwayLines = subwayLines;
        Intersections = intersections;
        ScheduledStorms = scheduledStorms;
        RandomStormsPerDay = randomStormsPerDay;
        Devices = BuildDevices();
        _devicesById = new Dictionary<string, DeviceSpec>(Devices.Count, StringComparer.Ordinal);
        foreach (var device in Devices)
        {
            if (!_devicesById.TryAdd(device.Id, device))
            {
                throw new ArgumentException($"Device id '{device.Id}' is used twice.", nameof(rivers));
            }
        }

        Validate();
    }

    /// <summary>The small demo city: two or more devices of every kind, a storm within minutes of the start.</summary>
    public static CityScenario Demo => DemoScenario.Value;

    /// <summary>Tokyo-like: the 7 flood-forecast rivers, 23-ward sewer districts, Nishi-Shinjuku poles, 4 Toei-like lines, arterial detectors.</summary>
    public static CityScenario Default => DefaultScenario.Value;

    /// <summary>Scenario name.</summary>
    public string Name { get; }

    /// <summary>Every device, in a stable order: gauges, manholes, poles, train cars, detectors.</summary>
    public IReadOnlyList<DeviceSpec> Devices { get; }

    /// <summary>Rivers with their gauges, upstream to downstream.</summary>
    public IReadOnlyList<River> Rivers { get; }

    /// <summary>Sewer districts with their manholes.</summary>
    public IReadOnlyList<SewerDistrict> SewerDistricts { get; }

    /// <summary>Smart poles.</summary>
    public IReadOnlyList<SmartPole> SmartPoles { get; }

    /// <summary>Subway lines with their instrumented trains.</summary>
    public IReadOnlyList<SubwayLine> SubwayLines { get; }

    /// <summary>Signalised intersections with lane detectors.</summary>
    public IReadOnlyList<Intersection> Intersections { get; }

    /// <summary>Storm cells that will happen, relative to the simulation's start.</summary>
    public IReadOnlyList<StormCell> ScheduledStorms { get; }

    /// <summary>Mean number of random storm cells per simulated day, on top of the scheduled ones (0: none).</summary>
    public double RandomStormsPerDay { get; }

    /// <summary>The device with that id, or <c>null</c>.</summary>
    public DeviceSpec? FindDevice(string id) => _devicesById.GetValueOrDefault(id);

    /// <summary>The river gauge with that device id, or <c>null</c>.</summary>
    public RiverGauge? FindGauge(string deviceId)
    {
        foreach (var river in Rivers)
        {
            foreach (var gauge in river.Gauges)
            {
                if (string.Equals(gauge.DeviceId, deviceId, StringComparison.Ordinal))
                {
                    return gauge;
                }
            }
        }

        return null;
    }

    /// <summary>The same city with other weather: these scheduled storms and this rate of random ones.</summary>
    public CityScenario WithWeather(IReadOnlyList<StormCell> scheduledStorms, double randomStormsPerDay) =>
        new(Name, Rivers, SewerDistricts, SmartPoles, SubwayLines, Intersections, scheduledStorms, randomStormsPerDay);

    /// <summary>True when <paramref name="id"/> is a valid device id: lowercase ASCII letters and digits in dash-separated words.</summary>
    public static bool IsValidDeviceId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || id[0] == '-' || id[^1] == '-')
        {
            return false;
        }

        for (int i = 0; i < id.Length; i++)
        {
            char c = id[i];
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') || (c == '-' && id[i - 1] != '-');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static SortedDictionary<string, string> Tags(params (string Key, string Value)[] tags)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            sorted.Add(key, value);
        }

        return sorted;
    }

    private List<DeviceSpec> BuildDevices()
    {
        var devices = new List<DeviceSpec>();
        foreach (var river in Rivers)
        {
            for (int i = 0; i < river.Gauges.Count; i++)
            {
                var gauge = river.Gauges[i];
                devices.Add(new DeviceSpec(
                    gauge.DeviceId,
                    DeviceKinds.RiverGauge,
                    $"{river.Name} at {gauge.Name}",
                    gauge.Location.Latitude,
                    gauge.Location.Longitude,
                    Tags(("river", river.Id), ("order", (i + 1).ToString(CultureInfo.InvariantCulture))))
                {
                    Thresholds = gauge.Thresholds,
                });
            }
        }

        foreach (var district in SewerDistricts)
        {
            foreach (var manhole in district.Manholes)
            {
                devices.Add(new DeviceSpec(
                    manhole.DeviceId,
                    DeviceKinds.Manhole,
                    manhole.Name,
                    manhole.Location.Latitude,
                    manhole.Location.Longitude,
                    Tags(("district", district.Id))));
            }
        }

        foreach (var pole in SmartPoles)
        {
            devices.Add(new DeviceSpec(
                pole.DeviceId,
                DeviceKinds.SmartPole,
                pole.Name,
                pole.Location.Latitude,
                pole.Location.Longitude,
                Tags(("district", "nishi-shinjuku"))));
        }

        foreach (var line in SubwayLines)
        {
            var depot = line.Stations.Count > 0 ? line.Stations[0].Location : default;
            for (int train = 1; train <= line.TrainCount; train++)
            {
                for (int car = 1; car <= line.CarsPerTrain; car++)
                {
                    string trainId = string.Create(CultureInfo.InvariantCulture, $"t{train}");
                    string carNumber = car.ToString(CultureInfo.InvariantCulture);
                    devices.Add(new DeviceSpec(
                        line.CarDeviceId(train, car),
                        DeviceKinds.TrainCar,
                        $"{line.Name} train {trainId} car {carNumber}",
                        depot.Latitude,
                        depot.Longitude,
                        Tags(("line", line.Id), ("train", trainId), ("car", carNumber))));
                }
            }
        }

        foreach (var intersection in Intersections)
        {
            for (int lane = 1; lane <= intersection.Lanes; lane++)
            {
                string laneNumber = lane.ToString(CultureInfo.InvariantCulture);
                devices.Add(new DeviceSpec(
                    intersection.DetectorDeviceId(lane),
                    DeviceKinds.TrafficDetector,
                    $"{intersection.Name} lane {laneNumber}",
                    intersection.Location.Latitude,
                    intersection.Location.Longitude,
                    Tags(("road", intersection.Road), ("intersection", intersection.Id), ("lane", laneNumber))));
            }
        }

        return devices;
    }

    // Follows the downstream links; a path longer than the number of gauges must revisit one.
    private bool FlowsIntoLoop(RiverGauge gauge)
    {
        int gauges = 0;
        foreach (var river in Rivers)
        {
            gauges += river.Gauges.Count;
        }

        var current = gauge;
        for (int hops = 0; hops <= gauges; hops++)
        {
            if (current.DownstreamGaugeId is not { } next || FindGauge(next) is not { } downstream)
            {
                return false;
            }

            current = downstream;
        }

        return true;
    }

    private void Validate()
    {
        foreach (var device in Devices)
        {
            if (!IsValidDeviceId(device.Id))
            {
                throw new ArgumentException($"Device id '{device.Id}' must be lowercase ASCII letters and digits in dash-separated words (a valid MQTT topic level).", "DeviceId");
            }
        }

        foreach (var river in Rivers)
        {
            foreach (var gauge in river.Gauges)
            {
                var t = gauge.Thresholds;
                if (!(t.Standby < t.FloodCaution && t.FloodCaution < t.EvacuationJudgement && t.EvacuationJudgement < t.FloodDanger))
                {
                    throw new ArgumentException($"Gauge '{gauge.DeviceId}': Thresholds must rise from Standby to FloodDanger.", nameof(RiverGauge.Thresholds));
                }

                if (!(gauge.LocalCatchmentArea > 0))
                {
                    throw new ArgumentException($"Gauge '{gauge.DeviceId}': LocalCatchmentArea must be positive.", nameof(RiverGauge.LocalCatchmentArea));
                }

                if (gauge.ReservoirTimeConstant < TimeSpan.FromMinutes(1))
                {
                    throw new ArgumentException($"Gauge '{gauge.DeviceId}': ReservoirTimeConstant must be at least a minute.", nameof(RiverGauge.ReservoirTimeConstant));
                }

                if (gauge.DownstreamGaugeId is { } downstream && FindGauge(downstream) is null)
                {
                    throw new ArgumentException($"Gauge '{gauge.DeviceId}': DownstreamGaugeId '{downstream}' is not a gauge of this scenario.", nameof(RiverGauge.DownstreamGaugeId));
                }

                if (FlowsIntoLoop(gauge))
                {
                    throw new ArgumentException($"Gauge '{gauge.DeviceId}': DownstreamGaugeId links form a loop.", nameof(RiverGauge.DownstreamGaugeId));
                }

                if (gauge.TravelTimeDownstream < TimeSpan.Zero || gauge.TravelTimeDownstream > TimeSpan.FromHours(12))
                {
                    throw new ArgumentException($"Gauge '{gauge.DeviceId}': TravelTimeDownstream must be between 0 and 12 hours.", nameof(RiverGauge.TravelTimeDownstream));
                }
            }
        }

        foreach (var district in SewerDistricts)
        {
            if (!(district.DesignRainfall > 0))
            {
                throw new ArgumentException($"Sewer district '{district.Id}': DesignRainfall must be positive.", nameof(SewerDistrict.DesignRainfall));
            }
        }

        foreach (var line in SubwayLines)
        {
            if (line.Stations.Count < 2)
            {
                throw new ArgumentException($"Line '{line.Id}': Stations needs at least two stations.", nameof(SubwayLine.Stations));
            }

            if (line.CarsPerTrain is < 1 or > 16)
            {
                throw new ArgumentException($"Line '{line.Id}': CarsPerTrain must be between 1 and 16.", nameof(SubwayLine.CarsPerTrain));
            }

            foreach (int car in line.StairsCars)
            {
                if (car < 1 || car > line.CarsPerTrain)
                {
                    throw new ArgumentException($"Line '{line.Id}': StairsCars has car {car}, outside 1..{line.CarsPerTrain}.", nameof(SubwayLine.StairsCars));
                }
            }

            if (!(line.ScheduledSpeed > 0) || line.EndCarCapacity <= 0 || line.MiddleCarCapacity <= 0)
            {
                throw new ArgumentException($"Line '{line.Id}': ScheduledSpeed and car capacities must be positive.", nameof(SubwayLine.ScheduledSpeed));
            }
        }

        foreach (var intersection in Intersections)
        {
            if (!(intersection.GreenSplit is > 0 and < 1) || intersection.Cycle < TimeSpan.FromSeconds(30))
            {
                throw new ArgumentException($"Intersection '{intersection.Id}': GreenSplit must be in (0, 1) and Cycle at least 30 s.", nameof(Intersection.GreenSplit));
            }
        }

        foreach (var storm in ScheduledStorms)
        {
            if (!(storm.Radius > 0) || !(storm.PeakIntensity >= 0) || storm.Duration <= TimeSpan.Zero)
            {
                throw new ArgumentException("A scheduled storm needs a positive Radius and Duration and a PeakIntensity of at least 0.", nameof(ScheduledStorms));
            }
        }
    }
}
