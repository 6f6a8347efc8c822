using System.Globalization;

namespace IotHub.City.ScenarioFiles;

/// <summary>
/// Turns a <see cref="ScenarioDocument"/> into a <see cref="CityScenario"/>, checking every field
/// and collecting every mistake with the path of the field it is in, so an author fixes a file in
/// one pass. Checks here come before <see cref="CityScenario"/>'s own, which name no path.
/// </summary>
internal sealed class ScenarioDocumentReader
{
    private const string IdRule = "must be lowercase ASCII letters and digits in dash-separated words (at most 64 characters)";

    private readonly List<ScenarioFileError> _errors = [];

    // Device id -> path of the field that first used it: ids must be unique across the city.
    private readonly Dictionary<string, string> _deviceIds = new(StringComparer.Ordinal);

    public IReadOnlyList<ScenarioFileError> Errors => _errors;

    public CityScenario? Read(ScenarioDocument document)
    {
        if (document.FormatVersion is { } version && version != 1)
        {
            Error("formatVersion", $"must be 1 (the only version this reader knows), was {Format(version)}");
        }

        string name = Text(document.Name, "name");
        double randomStorms = document.RandomStormsPerDay is null ? 0 : Between(document.RandomStormsPerDay, "randomStormsPerDay", 0, 1000);

        var rivers = Rivers(document.Rivers);
        var districts = Districts(document.SewerDistricts);
        var poles = Poles(document.SmartPoles);
        var lines = Lines(document.SubwayLines);
        var intersections = Intersections(document.Intersections);
        var storms = Storms(document.ScheduledStorms);
        if (_errors.Count > 0)
        {
            return null;
        }

        try
        {
            return new CityScenario(name, rivers, districts, poles, lines, intersections, storms, randomStorms);
        }
        catch (ArgumentException ex)
        {
            // Only reached for a rule the checks above do not know yet: still an error, without a path.
            Error(string.Empty, ex.Message);
            return null;
        }
    }

    private List<River> Rivers(List<RiverDocument?>? documents)
    {
        var rivers = new List<River>();
        var riverIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var gaugePaths = new Dictionary<string, string>(StringComparer.Ordinal);
        var downstreamLinks = new List<(string Path, string From, string To)>();
        foreach (var (river, path) in Items(documents, "rivers"))
        {
            string id = UniqueId(river.Id, path + ".id", riverIds);
            string name = Text(river.Name, path + ".name");
            var gauges = new List<RiverGauge>();
            foreach (var (gauge, gaugePath) in Items(river.Gauges, path + ".gauges", atLeast: 1))
            {
                string deviceId = DeviceId(gauge.DeviceId, gaugePath + ".deviceId");
                gaugePaths.TryAdd(deviceId, gaugePath);
                var thresholds = Thresholds(gauge.Thresholds, gaugePath + ".thresholds");
                string? downstream = gauge.DownstreamGaugeId;
                if (downstream is not null)
                {
                    downstreamLinks.Add((gaugePath + ".downstreamGaugeId", deviceId, downstream));
                }

                gauges.Add(new RiverGauge(
                    deviceId,
                    Text(gauge.Name, gaugePath + ".name"),
                    Location(gauge.Location, gaugePath + ".location"),
                    Location(gauge.CatchmentCentre, gaugePath + ".catchmentCentre"),
                    Positive(gauge.LocalCatchmentArea, gaugePath + ".localCatchmentArea"),
                    AboveZeroUpTo(gauge.RunoffCoefficient, gaugePath + ".runoffCoefficient", 1),
                    Minutes(Between(gauge.ReservoirTimeConstantMinutes, gaugePath + ".reservoirTimeConstantMinutes", 1, 24 * 60)),
                    Between(gauge.BaseFlow, gaugePath + ".baseFlow", 0, 10_000),
                    Rating(gauge.Rating, gaugePath + ".rating"),
                    thresholds,
                    downstream,
                    Minutes(Between(gauge.TravelTimeDownstreamMinutes ?? 0, gaugePath + ".travelTimeDownstreamMinutes", 0, 12 * 60))));
            }

            rivers.Add(new River(id, name, gauges));
        }

        // Links are checked once every gauge is known: a tributary may drain into a river listed after it.
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, from, to) in downstreamLinks)
        {
            if (!gaugePaths.ContainsKey(to))
            {
                Error(path, $"'{to}' is not the deviceId of a gauge in this scenario");
            }
            else if (string.Equals(from, to, StringComparison.Ordinal))
            {
                Error(path, "a gauge cannot drain into itself");
            }
            else
            {
                next.TryAdd(from, to);
            }
        }

        foreach (var (path, from, _) in downstreamLinks)
        {
            var current = from;
            for (int hops = 0; hops <= next.Count; hops++)
            {
                if (!next.TryGetValue(current, out var following))
                {
                    break;
                }

                if (hops == next.Count)
                {
                    Error(path, "the downstream links from this gauge form a loop");
                }

                current = following;
            }
        }

        return rivers;
    }

    private GaugeThresholds Thresholds(ThresholdsDocument? document, string path)
    {
        if (document is null)
        {
            Error(path, "missing: the four threshold levels (standby, floodCaution, evacuationJudgement, floodDanger) in metres");
            return new GaugeThresholds(0, 0, 0, 0);
        }

        double standby = Between(document.Standby, path + ".standby", -100, 100);
        double caution = Between(document.FloodCaution, path + ".floodCaution", -100, 100);
        double evacuation = Between(document.EvacuationJudgement, path + ".evacuationJudgement", -100, 100);
        double danger = Between(document.FloodDanger, path + ".floodDanger", -100, 100);
        Above(document.FloodCaution, document.Standby, path + ".floodCaution", "standby");
        Above(document.EvacuationJudgement, document.FloodCaution, path + ".evacuationJudgement", "floodCaution");
        Above(document.FloodDanger, document.EvacuationJudgement, path + ".floodDanger", "evacuationJudgement");
        return new GaugeThresholds(standby, caution, evacuation, danger);
    }

    private RatingCurve Rating(RatingDocument? document, string path)
    {
        if (document is null)
        {
            Error(path, "missing: the stage-discharge curve {zeroFlowLevel, coefficient, exponent}");
            return new RatingCurve(0, 1, 1);
        }

        return new RatingCurve(
            Between(document.ZeroFlowLevel, path + ".zeroFlowLevel", -100, 100),
            Positive(document.Coefficient, path + ".coefficient"),
            Between(document.Exponent, path + ".exponent", 0.5, 5));
    }

    private List<SewerDistrict> Districts(List<SewerDistrictDocument?>? documents)
    {
        var districts = new List<SewerDistrict>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (district, path) in Items(documents, "sewerDistricts"))
        {
            var manholes = new List<Manhole>();
            foreach (var (manhole, manholePath) in Items(district.Manholes, path + ".manholes"))
            {
                manholes.Add(new Manhole(
                    DeviceId(manhole.DeviceId, manholePath + ".deviceId"),
                    Text(manhole.Name, manholePath + ".name"),
                    Location(manhole.Location, manholePath + ".location"),
                    AboveZeroUpTo(manhole.PipeDiameter, manholePath + ".pipeDiameter", 20),
                    AboveZeroUpTo(manhole.DryWeatherFlowRatio, manholePath + ".dryWeatherFlowRatio", 0.9)));
            }

            districts.Add(new SewerDistrict(
                UniqueId(district.Id, path + ".id", ids),
                Text(district.Name, path + ".name"),
                Location(district.Centre, path + ".centre"),
                AboveZeroUpTo(district.DesignRainfall, path + ".designRainfall", 500),
                manholes));
        }

        return districts;
    }

    private List<SmartPole> Poles(List<SmartPoleDocument?>? documents)
    {
        var poles = new List<SmartPole>();
        foreach (var (pole, path) in Items(documents, "smartPoles"))
        {
            poles.Add(new SmartPole(
                DeviceId(pole.DeviceId, path + ".deviceId"),
                Text(pole.Name, path + ".name"),
                Location(pole.Location, path + ".location"),
                Between(pole.PeakPeopleInView, path + ".peakPeopleInView", 0, 100_000)));
        }

        return poles;
    }

    private List<SubwayLine> Lines(List<SubwayLineDocument?>? documents)
    {
        var lines = new List<SubwayLine>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, path) in Items(documents, "subwayLines"))
        {
            // Car ids are car-{line}-t{train}-c{car}: the line id leaves room for the rest within 64 characters.
            string id = UniqueId(line.Id, path + ".id", ids, maxLength: 48);
            var stations = new List<SubwayStation>();
            foreach (var (station, stationPath) in Items(line.Stations, path + ".stations", atLeast: 2))
            {
                stations.Add(new SubwayStation(
                    Text(station.Name, stationPath + ".name"),
                    Location(station.Location, stationPath + ".location"),
                    Between(station.Homes, stationPath + ".homes", 0, 1_000),
                    Between(station.Jobs, stationPath + ".jobs", 0, 1_000)));
            }

            int cars = WholeBetween(line.CarsPerTrain, path + ".carsPerTrain", 1, 16);
            int trains = WholeBetween(line.TrainCount, path + ".trainCount", 0, 1_000);
            var stairs = new List<int>();
            if (line.StairsCars is null)
            {
                Error(path + ".stairsCars", "missing: the car numbers (1-based) that stop at the stairs, e.g. [3, 6]");
            }
            else
            {
                for (int i = 0; i < line.StairsCars.Count; i++)
                {
                    int car = line.StairsCars[i];
                    if (line.CarsPerTrain is { } count && (car < 1 || car > count))
                    {
                        Error($"{path}.stairsCars[{Format(i)}]", $"must be a car number between 1 and carsPerTrain ({Format(count)}), was {Format(car)}");
                    }

                    stairs.Add(car);
                }
            }

            lines.Add(new SubwayLine(
                id,
                Text(line.Name, path + ".name"),
                stations,
                cars,
                trains,
                stairs,
                WholeBetween(line.EndCarCapacity, path + ".endCarCapacity", 1, 1_000),
                WholeBetween(line.MiddleCarCapacity, path + ".middleCarCapacity", 1, 1_000),
                AboveZeroUpTo(line.PeakLoadFactor, path + ".peakLoadFactor", 400),
                AboveZeroUpTo(line.ScheduledSpeed, path + ".scheduledSpeed", 200)));
        }

        return lines;
    }

    private List<Intersection> Intersections(List<IntersectionDocument?>? documents)
    {
        var intersections = new List<Intersection>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (intersection, path) in Items(documents, "intersections"))
        {
            // Detector ids are det-{intersection}-l{lane}.
            string id = UniqueId(intersection.Id, path + ".id", ids, maxLength: 56);
            double green = Between(intersection.GreenSplit, path + ".greenSplit", 0, 1);
            if (intersection.GreenSplit is 0 or 1)
            {
                Error(path + ".greenSplit", "must be strictly between 0 and 1");
            }

            intersections.Add(new Intersection(
                id,
                Text(intersection.Name, path + ".name"),
                Id(intersection.Road, path + ".road"),
                Location(intersection.Location, path + ".location"),
                WholeBetween(intersection.Lanes, path + ".lanes", 1, 8),
                Between(intersection.PeakDemandPerLane, path + ".peakDemandPerLane", 0, 3_600),
                Seconds(Between(intersection.CycleSeconds, path + ".cycleSeconds", 30, 300)),
                green,
                AboveZeroUpTo(intersection.DetectorDistance, path + ".detectorDistance", 5_000)));
        }

        return intersections;
    }

    private List<StormCell> Storms(List<StormDocument?>? documents)
    {
        var storms = new List<StormCell>();
        foreach (var (storm, path) in Items(documents, "scheduledStorms"))
        {
            storms.Add(new StormCell(
                Minutes(Between(storm.StartsAfterMinutes, path + ".startsAfterMinutes", 0, 366 * 24 * 60)),
                Minutes(AboveZeroUpTo(storm.DurationMinutes, path + ".durationMinutes", 14 * 24 * 60)),
                Location(storm.Start, path + ".start"),
                Between(storm.EastwardSpeed, path + ".eastwardSpeed", -300, 300),
                Between(storm.NorthwardSpeed, path + ".northwardSpeed", -300, 300),
                Between(storm.PeakIntensity, path + ".peakIntensity", 0, 500),
                AboveZeroUpTo(storm.Radius, path + ".radius", 1_000)));
        }

        return storms;
    }

    private IEnumerable<(T Item, string Path)> Items<T>(List<T?>? list, string path, int atLeast = 0)
        where T : class
    {
        if (list is null)
        {
            if (atLeast > 0)
            {
                Error(path, $"missing: a list of at least {Format(atLeast)}");
            }

            yield break;
        }

        if (list.Count < atLeast)
        {
            Error(path, $"needs at least {Format(atLeast)}, has {Format(list.Count)}");
        }

        for (int i = 0; i < list.Count; i++)
        {
            string itemPath = $"{path}[{Format(i)}]";
            if (list[i] is { } item)
            {
                yield return (item, itemPath);
            }
            else
            {
                Error(itemPath, "must be an object, was null");
            }
        }
    }

    private GeoPoint Location(LocationDocument? document, string path)
    {
        if (document is null)
        {
            Error(path, "missing: {latitude, longitude} in degrees (WGS 84)");
            return default;
        }

        return new GeoPoint(
            Between(document.Latitude, path + ".latitude", -90, 90),
            Between(document.Longitude, path + ".longitude", -180, 180));
    }

    private string Text(string? value, string path)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Error(path, value is null ? "missing" : "must not be empty");
            return "unnamed";
        }

        return value;
    }

    private string Id(string? value, string path, int maxLength = 64)
    {
        if (value is null)
        {
            Error(path, "missing");
            return "missing";
        }

        if (!CityScenario.IsValidDeviceId(value) || value.Length > maxLength)
        {
            Error(path, maxLength == 64 ? $"'{value}' {IdRule}" : $"'{value}' {IdRule.Replace("64", Format(maxLength), StringComparison.Ordinal)}");
        }

        return value;
    }

    private string UniqueId(string? value, string path, Dictionary<string, string> seen, int maxLength = 64)
    {
        string id = Id(value, path, maxLength);
        if (value is not null && !seen.TryAdd(id, path))
        {
            Error(path, $"'{id}' is already used by {seen[id]}");
        }

        return id;
    }

    private string DeviceId(string? value, string path) => UniqueId(value, path, _deviceIds);

    private double Positive(double? value, string path)
    {
        double number = Required(value, path);
        if (value is not null && !(number > 0))
        {
            Error(path, $"must be above 0, was {Format(number)}");
        }

        return number;
    }

    private double AboveZeroUpTo(double? value, string path, double max)
    {
        double number = Required(value, path);
        if (value is not null && !(number > 0 && number <= max))
        {
            Error(path, $"must be above 0 and at most {Format(max)}, was {Format(number)}");
        }

        return number;
    }

    private double Between(double? value, string path, double min, double max)
    {
        double number = Required(value, path);
        if (value is not null && !(number >= min && number <= max))
        {
            Error(path, $"must be between {Format(min)} and {Format(max)}, was {Format(number)}");
        }

        return number;
    }

    private int WholeBetween(int? value, string path, int min, int max)
    {
        if (value is not { } number)
        {
            Error(path, "missing");
            return min;
        }

        if (number < min || number > max)
        {
            Error(path, $"must be between {Format(min)} and {Format(max)}, was {Format(number)}");
        }

        return number;
    }

    private double Required(double? value, string path)
    {
        if (value is null)
        {
            Error(path, "missing");
            return 0;
        }

        return value.Value;
    }

    private void Above(double? value, double? lower, string path, string lowerName)
    {
        if (value is { } v && lower is { } l && !(v > l))
        {
            Error(path, $"must be above {lowerName} ({Format(l)}), was {Format(v)}");
        }
    }

    private void Error(string path, string message) => _errors.Add(new ScenarioFileError(path, message));

    // Out-of-range values have been reported already; clamping only keeps the conversion from overflowing.
    private static TimeSpan Minutes(double minutes) => TimeSpan.FromTicks((long)Math.Round(Math.Clamp(minutes, -1e9, 1e9) * TimeSpan.TicksPerMinute));

    private static TimeSpan Seconds(double seconds) => Minutes(seconds / 60.0);

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
