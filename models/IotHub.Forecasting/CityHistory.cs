using System.Globalization;
using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting;

/// <summary>
/// History from the city simulator, shaped as the hub's store would give it: river gauges every
/// 10 minutes, detectors as 5-minute means of their 1-minute reports, car loads at each departure.
/// Each part runs its own deterministic simulation of the same city and seed (the parts do not
/// interact in the simulator, and the readings are the same as the whole city's).
/// </summary>
internal static class CityHistory
{
    private static readonly TimeSpan Tokyo = TimeSpan.FromHours(9);

    /// <summary>River gauge levels, 10-minute rain and the radar rain nowcast the gauges relay, 10-minute rows.</summary>
    /// <remarks>With <paramref name="nowcastErrors"/> null the frame holds no nowcast columns (a city whose gauges relay none).</remarks>
    public static SeriesFrame Rivers(CityScenario city, int seed, DateTimeOffset start, int days, RadarNowcastErrors? nowcastErrors)
    {
        var scenario = new CityScenario(city.Name + "-rivers", city.Rivers, [], [], [], [], city.ScheduledStorms, city.RandomStormsPerDay);
        var sim = new CitySimulation(scenario, seed, start, nowcastErrors ?? RadarNowcastErrors.Calibrated);
        int rows = days * 144;
        var frame = new SeriesFrame(start, RiverColumns.Step, rows);
        var gauges = new List<(string Id, double[] Level, double[] Rain, Dictionary<string, double[]> Nowcast)>();
        foreach (var river in city.Rivers)
        {
            foreach (var gauge in river.Gauges)
            {
                var nowcast = new Dictionary<string, double[]>(StringComparer.Ordinal);
                for (int n = 0; nowcastErrors is not null && n < RiverColumns.RainNowcastIntervals; n++)
                {
                    nowcast.Add(DeviceKinds.RainNowcastFields[n], frame.AddColumn(RiverColumns.RainNowcast(gauge.DeviceId, n)));
                }

                gauges.Add((gauge.DeviceId, frame.AddColumn(RiverColumns.Level(gauge.DeviceId)), frame.AddColumn(RiverColumns.Rain10Min(gauge.DeviceId)), nowcast));
            }
        }

        for (int i = 0; i < rows; i++)
        {
            sim.AdvanceTo(frame.TimeAt(i));
            foreach (var (id, level, rain, nowcast) in gauges)
            {
                foreach (var field in sim.Read(id))
                {
                    if (field.Key == "level")
                    {
                        level[i] = (double)field.Value;
                    }
                    else if (field.Key == "rain_10min")
                    {
                        rain[i] = (double)field.Value;
                    }
                    else if (nowcast.TryGetValue(field.Key, out var column))
                    {
                        column[i] = (double)field.Value;
                    }
                }
            }
        }

        return frame;
    }

    /// <summary>
    /// Sewer history, 5-minute rows: the level and surcharge flag of the first <paramref name="manholesPerDistrict"/>
    /// manholes of every district (the level is the pipe's diameter while surcharged: full) and every
    /// river gauge's 10-minute rain and relayed radar rain nowcast. The simulation holds the rivers (for their rain gauges) and only
    /// those manholes, under the city's weather.
    /// </summary>
    public static SeriesFrame Sewers(CityScenario city, int seed, DateTimeOffset start, int days, int manholesPerDistrict)
    {
        var districts = city.SewerDistricts.Select(d => d with { Manholes = [.. d.Manholes.Take(manholesPerDistrict)] }).ToList();
        var scenario = new CityScenario(city.Name + "-sewers", city.Rivers, districts, [], [], [], city.ScheduledStorms, city.RandomStormsPerDay);
        var sim = new CitySimulation(scenario, seed, start);
        int rows = days * 288;
        var frame = new SeriesFrame(start, SewerColumns.Step, rows);
        var manholes = districts.SelectMany(d => d.Manholes)
            .Select(m => (m.DeviceId, m.PipeDiameter, Level: frame.AddColumn(SewerColumns.Level(m.DeviceId)), Surcharged: frame.AddColumn(SewerColumns.Surcharged(m.DeviceId))))
            .ToList();
        var gauges = city.Rivers.SelectMany(r => r.Gauges).Select(g => (g.DeviceId, Rain: frame.AddColumn(RiverColumns.Rain10Min(g.DeviceId)),
            Nowcast: DeviceKinds.RainNowcastFields.Select((field, n) => (field, n)).ToDictionary(x => x.field, x => frame.AddColumn(RiverColumns.RainNowcast(g.DeviceId, x.n)), StringComparer.Ordinal))).ToList();
        for (int i = 0; i < rows; i++)
        {
            sim.AdvanceTo(frame.TimeAt(i));
            foreach (var (id, diameter, level, surcharged) in manholes)
            {
                level[i] = diameter;
                foreach (var field in sim.Read(id))
                {
                    if (field.Key == "level")
                    {
                        level[i] = (double)field.Value;
                    }
                    else if (field.Key == "surcharged")
                    {
                        surcharged[i] = (bool)field.Value ? 1 : 0;
                    }
                }
            }

            foreach (var (id, rain, nowcast) in gauges)
            {
                foreach (var field in sim.Read(id))
                {
                    if (field.Key == "rain_10min")
                    {
                        rain[i] = (double)field.Value;
                    }
                    else if (nowcast.TryGetValue(field.Key, out var column))
                    {
                        column[i] = (double)field.Value;
                    }
                }
            }
        }

        return frame;
    }

    /// <summary>Detector volume (vehicles per minute), speed and queue length as 5-minute means of 1-minute reports.</summary>
    public static SeriesFrame Traffic(CityScenario city, int seed, DateTimeOffset start, int days, Action<CitySimulation, DateTimeOffset>? control = null) =>
        Traffic(new CitySimulation(TrafficOnly(city), seed, start - TrafficColumns.Step), start, days * 288, control);

    /// <summary>The city with only its intersections: traffic simulates alone, with the same readings.</summary>
    public static CityScenario TrafficOnly(CityScenario city) =>
        new(city.Name + "-traffic", [], [], [], [], city.Intersections, [], 0);

    /// <summary>Runs <paramref name="sim"/> (at or before <paramref name="start"/> - 5 min) for <paramref name="rows"/> 5-minute rows.</summary>
    public static SeriesFrame Traffic(CitySimulation sim, DateTimeOffset start, int rows, Action<CitySimulation, DateTimeOffset>? control)
    {
        var city = sim.Scenario;
        var frame = new SeriesFrame(start, TrafficColumns.Step, rows);
        var detectors = new List<(string Id, double[] Volume, double[] Speed, double[] Queue)>();
        foreach (var intersection in city.Intersections)
        {
            for (int lane = 1; lane <= intersection.Lanes; lane++)
            {
                string id = intersection.DetectorDeviceId(lane);
                detectors.Add((id, frame.AddColumn(TrafficColumns.Volume(id)), frame.AddColumn(TrafficColumns.Speed(id)), frame.AddColumn(TrafficColumns.Queue(id))));
            }
        }

        for (int i = 0; i < rows; i++)
        {
            // Row i holds the means of the reports in (t, t + 5 min]: its time is the end of the interval.
            var rowTime = frame.TimeAt(i);
            control?.Invoke(sim, rowTime);
            foreach (var d in detectors)
            {
                d.Volume[i] = 0;
                d.Speed[i] = 0;
                d.Queue[i] = 0;
            }

            for (int minute = 1; minute <= 5; minute++)
            {
                sim.AdvanceTo(rowTime + TimeSpan.FromMinutes(minute - 5));
                foreach (var d in detectors)
                {
                    foreach (var field in sim.Read(d.Id))
                    {
                        switch (field.Key)
                        {
                            case "volume":
                                d.Volume[i] += (long)field.Value / 5.0;
                                break;
                            case "speed":
                                d.Speed[i] += (double)field.Value / 5.0;
                                break;
                            case "queue_length":
                                d.Queue[i] += (double)field.Value / 5.0;
                                break;
                        }
                    }
                }
            }
        }

        return frame;
    }

    /// <summary>Every car's departures over <paramref name="days"/> service days from the service day containing <paramref name="start"/>.</summary>
    public static List<CarStop> Subway(CityScenario city, int seed, DateTimeOffset start, int days, Func<int, bool>? lineFilter = null)
    {
        var scenario = new CityScenario(city.Name + "-subway", [], [], [], city.SubwayLines, [], [], 0);
        var sim = new CitySimulation(scenario, seed, start);
        var cars = new List<(int Line, int Train, int Car, string Id, Dictionary<string, int> Stations)>();
        for (int l = 0; l < city.SubwayLines.Count; l++)
        {
            var line = city.SubwayLines[l];
            var stations = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int s = 0; s < line.Stations.Count; s++)
            {
                stations.TryAdd(line.Stations[s].Name, s);
            }

            for (int train = 1; train <= line.TrainCount; train++)
            {
                for (int car = 1; car <= line.CarsPerTrain; car++)
                {
                    if (lineFilter is null || lineFilter(l))
                    {
                        cars.Add((l, train, car, line.CarDeviceId(train, car), stations));
                    }
                }
            }
        }

        var stops = new List<CarStop>();
        var localStart = start.ToOffset(Tokyo);
        var firstServiceStart = new DateTimeOffset(localStart.Date, Tokyo).AddHours(5);
        if (firstServiceStart < start)
        {
            firstServiceStart = firstServiceStart.AddDays(1);
        }

        var lastStation = new int[cars.Count];
        var lastLoad = new float[cars.Count];
        var lastTime = new DateTimeOffset[cars.Count];
        var ordinal = new int[cars.Count];
        var trip = new int[cars.Count];
        var previousStation = new int[cars.Count];
        for (int day = 0; day < days; day++)
        {
            var serviceStart = firstServiceStart.AddDays(day);
            long serviceDay = serviceStart.ToOffset(Tokyo).Date.Ticks / TimeSpan.TicksPerDay;
            Array.Fill(lastStation, -1);
            Array.Fill(previousStation, -1);
            Array.Clear(ordinal);
            Array.Clear(trip);

            // Service runs 05:00 to 00:30; a car reports the load it left its last station with.
            for (int minute = 0; minute < 19 * 60 + 30; minute++)
            {
                var now = serviceStart.AddMinutes(minute);
                sim.AdvanceTo(now);
                for (int c = 0; c < cars.Count; c++)
                {
                    string station = "";
                    double load = 0;
                    foreach (var field in sim.Read(cars[c].Id))
                    {
                        if (field.Key == "station")
                        {
                            station = (string)field.Value;
                        }
                        else if (field.Key == "load_factor")
                        {
                            load = (double)field.Value;
                        }
                    }

                    int s = cars[c].Stations.TryGetValue(station, out int found) ? found : 0;
                    if (s != lastStation[c] && lastStation[c] >= 0)
                    {
                        Emit(c, serviceDay);
                    }

                    lastStation[c] = s;
                    lastLoad[c] = (float)load;
                    lastTime[c] = now;
                }
            }

            for (int c = 0; c < cars.Count; c++)
            {
                Emit(c, serviceDay);
            }
        }

        return stops;

        void Emit(int c, long serviceDay)
        {
            int s = lastStation[c];
            var (l, train, car, _, _) = cars[c];
            int stationCount = city.SubwayLines[l].Stations.Count;

            // Direction: towards the last terminus when the previous stop was before this one (or this is the first terminus).
            bool forward = s == 0 || (s != stationCount - 1 && previousStation[c] >= 0 && previousStation[c] < s);
            if (previousStation[c] >= 0 && (s == 0 || s == stationCount - 1))
            {
                trip[c]++;
            }

            stops.Add(new CarStop(l, train, car, c, s, forward, lastTime[c], serviceDay, ordinal[c]++, trip[c], lastLoad[c]));
            previousStation[c] = s;
        }
    }

    /// <summary>A stable key for a timetable slot: car and departure number in the service day.</summary>
    public static long SlotKey(in CarStop stop) => ((long)stop.CarKey << 20) | (uint)stop.Ordinal;

    /// <summary>A label for reports.</summary>
    public static string CarLabel(CityScenario city, in CarStop stop) =>
        string.Create(CultureInfo.InvariantCulture, $"{city.SubwayLines[stop.Line].Id} t{stop.Train} c{stop.Car}");
}
