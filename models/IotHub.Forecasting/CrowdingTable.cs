using System.Globalization;
using System.Text;
using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>
/// The day-ahead crowding forecast of the weekday timetable, written by a training next to its model:
/// every instrumented car's departures of a weekday (line, train, car, departure number, station,
/// direction, trip, local time) with the forecast load factor. Serving reads a train's rows from it
/// and scales the rest of a running trip by the loads seen so far (the nowcast).
/// </summary>
public sealed class CrowdingTable
{
    /// <summary>File name of the table in a model folder.</summary>
    public const string FileName = "crowding-day-ahead.csv";

    private const string Header = "line,train,car,departure,station,forward,trip,minute_of_day,load_factor";

    private readonly Dictionary<(string Line, int Train), CrowdingDeparture[]> _byTrain;

    private CrowdingTable(Dictionary<(string Line, int Train), CrowdingDeparture[]> byTrain, DateTimeOffset madeFrom)
    {
        _byTrain = byTrain;
        MadeFrom = madeFrom;
    }

    /// <summary>End of the history the forecast was made from.</summary>
    public DateTimeOffset MadeFrom { get; }

    /// <summary>A train's departures in time order (every car), or null when the table has no such train.</summary>
    public IReadOnlyList<CrowdingDeparture>? Train(string line, int train) =>
        _byTrain.TryGetValue((line, train), out var rows) ? rows : null;

    /// <summary>Writes the forecast of every slot of <paramref name="stops"/> (one weekday's departures) into <paramref name="folder"/>.</summary>
    internal static void Write(string folder, CityScenario city, IReadOnlyList<CarStop> stops, IReadOnlyList<double> forecast, DateTimeOffset madeFrom)
    {
        var text = new StringBuilder();
        text.Append("# made from history to ").Append(madeFrom.ToString("O", CultureInfo.InvariantCulture)).Append('\n').Append(Header).Append('\n');
        for (int i = 0; i < stops.Count; i++)
        {
            var s = stops[i];
            var line = city.SubwayLines[s.Line];
            int minute = (int)Math.Round(s.Time.ToOffset(TimeSpan.FromHours(9)).TimeOfDay.TotalMinutes);
            text.Append(CultureInfo.InvariantCulture, $"{line.Id},{s.Train},{s.Car},{s.Ordinal},{line.Stations[s.Station].Name.Replace(',', ' ')},{(s.Forward ? 1 : 0)},{s.Trip},{minute},{forecast[i]:F2}\n");
        }

        File.WriteAllText(Path.Combine(folder, FileName), text.ToString());
    }

    /// <summary>Reads the table in <paramref name="folder"/>, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a table this class wrote.</exception>
    public static CrowdingTable? Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var lines = File.ReadAllLines(path);
        if (lines.Length < 2 || !lines[0].StartsWith("# made from history to ", StringComparison.Ordinal) || lines[1] != Header)
        {
            throw new InvalidDataException($"{path} is not a crowding table (expected the header '{Header}').");
        }

        var madeFrom = DateTimeOffset.Parse(lines[0]["# made from history to ".Length..], CultureInfo.InvariantCulture);
        var rows = new Dictionary<(string, int), List<CrowdingDeparture>>();
        for (int n = 2; n < lines.Length; n++)
        {
            var f = lines[n].Split(',');
            if (f.Length != 9)
            {
                throw new InvalidDataException($"{path} line {n + 1}: expected 9 fields, found {f.Length}.");
            }

            var row = new CrowdingDeparture(
                int.Parse(f[2], CultureInfo.InvariantCulture),
                int.Parse(f[3], CultureInfo.InvariantCulture),
                f[4],
                f[5] == "1",
                int.Parse(f[6], CultureInfo.InvariantCulture),
                TimeSpan.FromMinutes(int.Parse(f[7], CultureInfo.InvariantCulture)),
                double.Parse(f[8], CultureInfo.InvariantCulture));
            var key = (f[0], int.Parse(f[1], CultureInfo.InvariantCulture));
            if (!rows.TryGetValue(key, out var list))
            {
                rows[key] = list = [];
            }

            list.Add(row);
        }

        return new CrowdingTable(
            rows.ToDictionary(r => r.Key, r => r.Value.OrderBy(x => x.TimeOfDay).ThenBy(x => x.Car).ToArray()),
            madeFrom);
    }
}

/// <summary>One car's departure in the weekday timetable with its day-ahead load.</summary>
/// <param name="Car">Car number, 1-based in the train's formation.</param>
/// <param name="Departure">Number of the car's departure in the service day.</param>
/// <param name="Station">Station it departs from.</param>
/// <param name="Forward">Running from the first terminus to the last.</param>
/// <param name="Trip">Number of the one-way trip within the service day.</param>
/// <param name="TimeOfDay">Departure time, local (JST) time of day.</param>
/// <param name="LoadFactor">Forecast 乗車率, % of the car's capacity.</param>
public sealed record CrowdingDeparture(int Car, int Departure, string Station, bool Forward, int Trip, TimeSpan TimeOfDay, double LoadFactor);

/// <summary>GTFS-Realtime <c>OccupancyStatus</c> from a load factor (DOMAIN.md).</summary>
public static class Occupancy
{
    /// <summary>
    /// The status of a car at <paramref name="loadFactor"/> % of capacity: under 5% EMPTY, under 30% MANY_SEATS_AVAILABLE
    /// (a car's seats are about a third of its capacity), under 45% FEW_SEATS_AVAILABLE, under 150% STANDING_ROOM_ONLY
    /// (shoulders do not touch at 150%), under 200% CRUSHED_STANDING_ROOM_ONLY, else FULL.
    /// </summary>
    public static (int Code, string Name) Status(double loadFactor) => loadFactor switch
    {
        < 5 => (0, "EMPTY"),
        < 30 => (1, "MANY_SEATS_AVAILABLE"),
        < 45 => (2, "FEW_SEATS_AVAILABLE"),
        < 150 => (3, "STANDING_ROOM_ONLY"),
        < 200 => (4, "CRUSHED_STANDING_ROOM_ONLY"),
        _ => (5, "FULL"),
    };
}

/// <summary>One car's departure with its day-ahead load and, on the remaining stops of a running trip, the nowcast.</summary>
/// <param name="Car">Car number.</param>
/// <param name="Departure">Number of the car's departure in the service day.</param>
/// <param name="Station">Station it departs from.</param>
/// <param name="Forward">Running from the first terminus to the last.</param>
/// <param name="Trip">One-way trip number.</param>
/// <param name="Time">Timetabled departure.</param>
/// <param name="DayAhead">Day-ahead load factor, % of capacity.</param>
/// <param name="Nowcast">Nowcast load factor for the rest of the running trip, else null.</param>
public sealed record CrowdingStopForecast(int Car, int Departure, string Station, bool Forward, int Trip, DateTimeOffset Time, double DayAhead, double? Nowcast);

/// <summary>A train's crowding forecast for one service day.</summary>
/// <param name="Line">Line id.</param>
/// <param name="Train">Train number.</param>
/// <param name="ServiceDate">Service day (from 05:00 JST).</param>
/// <param name="MadeFrom">End of the history the day-ahead forecast was made from.</param>
/// <param name="RunningTrip">The trip under way at the nowcast's origin, or null.</param>
/// <param name="Scale">Loads reported today over their day-ahead forecast (clamped to 0.7-1.3), or null when not running.</param>
/// <param name="Departures">Every departure of every car, in time order.</param>
public sealed record CrowdingForecast(string Line, int Train, DateOnly ServiceDate, DateTimeOffset MadeFrom, int? RunningTrip, double? Scale, IReadOnlyList<CrowdingStopForecast> Departures);
