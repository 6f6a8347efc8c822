using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>
/// Features of one detector at one origin, from a 5-minute frame: the target's recent 15-minute
/// means, the other two measurements, the same slot last week, the time-of-week historical average
/// of the target window and how today compares with it so far (the day's demand level), the
/// approach's static layout and the calendar.
/// </summary>
internal sealed class TrafficFeatures
{
    public const int Week = 2016;

    public static readonly string[] Targets = ["volume", "speed", "queue_length"];

    public static readonly string[] Units = ["veh/min", "km/h", "m"];

    public static readonly string[] Names =
    [
        "peak_demand_per_lane", "lanes", "lane", "cycle_s", "green_split",
        "now_15", "now_5", "prev_15", "prev_30_45", "hour_ago_15",
        "volume_15", "speed_15", "queue_15", "volume_ratio_1h",
        "last_week_target", "average_target", "average_now", "now_minus_average", "target_average_minus_now_average",
        "hour", "weekday", "weekend",
    ];

    private readonly SeriesFrame _frame;
    private readonly (Intersection Intersection, int Lane, string Id)[] _detectors;
    private readonly double[][][] _values;
    private readonly double[][][] _average;

    /// <summary>Wraps <paramref name="frame"/>; averages per time-of-week slot come from rows [averageFrom, averageTo).</summary>
    public TrafficFeatures(CityScenario city, SeriesFrame frame, int averageFrom, int averageTo)
    {
        _frame = frame;
        var detectors = new List<(Intersection, int, string)>();
        foreach (var intersection in city.Intersections)
        {
            for (int lane = 1; lane <= intersection.Lanes; lane++)
            {
                detectors.Add((intersection, lane, intersection.DetectorDeviceId(lane)));
            }
        }

        _detectors = [.. detectors];
        _values = new double[_detectors.Length][][];
        _average = new double[_detectors.Length][][];
        for (int d = 0; d < _detectors.Length; d++)
        {
            string id = _detectors[d].Id;
            _values[d] = [frame[TrafficColumns.Volume(id)], frame[TrafficColumns.Speed(id)], frame[TrafficColumns.Queue(id)]];
            _average[d] = new double[3][];
            for (int t = 0; t < 3; t++)
            {
                _average[d][t] = RiverForecaster.TimeOfWeekMean(frame, _values[d][t], averageFrom, averageTo);
            }
        }
    }

    public int Count => _detectors.Length;

    public (Intersection Intersection, int Lane, string Id) Detector(int d) => _detectors[d];

    /// <summary>Mean of rows (index - 2 .. index]: the 15 minutes ending at row index.</summary>
    public double Mean15(int d, int target, int index) => Mean(_values[d][target], index - 2, index);

    /// <summary>Historical average of the 15 minutes ending at row <paramref name="index"/>.</summary>
    public double Average15(int d, int target, int index)
    {
        double sum = 0;
        for (int i = index - 2; i <= index; i++)
        {
            sum += _average[d][target][Slot(i)];
        }

        return sum / 3;
    }

    /// <summary>The value to forecast: mean over the 15 minutes ending <paramref name="steps"/> rows after the origin.</summary>
    public double Label(int d, int target, int origin, int steps) =>
        origin + steps < _frame.Length ? Mean15(d, target, origin + steps) : double.NaN;

    public float[]? Build(int d, int target, int index, int steps)
    {
        if (index < 12 || index >= _frame.Length)
        {
            return null;
        }

        var (intersection, lane, _) = _detectors[d];
        var v = _values[d][target];
        double now15 = Mean15(d, target, index);
        if (double.IsNaN(now15))
        {
            return null;
        }

        double averageNow = Average15(d, target, index);
        double averageTarget = Average15(d, target, index + steps);
        double lastWeek = index + steps - Week >= 2 ? Mean15(d, target, index + steps - Week) : averageTarget;
        double volumeHour = Mean(_values[d][0], index - 11, index);
        double volumeHourAverage = 0;
        for (int i = index - 11; i <= index; i++)
        {
            volumeHourAverage += _average[d][0][Slot(i)] / 12;
        }

        var local = _frame.TimeAt(index).ToOffset(TimeSpan.FromHours(9));
        return
        [
            (float)intersection.PeakDemandPerLane, intersection.Lanes, lane, (float)intersection.Cycle.TotalSeconds, (float)intersection.GreenSplit,
            (float)now15, (float)v[index], (float)Mean(v, index - 5, index - 3), (float)Mean(v, index - 8, index - 6), (float)Mean(v, index - 14, index - 12),
            (float)Mean15(d, 0, index), (float)Mean15(d, 1, index), (float)Mean15(d, 2, index), (float)(volumeHourAverage > 0.1 ? volumeHour / volumeHourAverage : 1),
            (float)lastWeek, (float)averageTarget, (float)averageNow, (float)(now15 - averageNow), (float)(averageTarget - averageNow),
            (float)local.TimeOfDay.TotalHours, (int)local.DayOfWeek, local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1 : 0,
        ];
    }

    private int Slot(int index)
    {
        var t = _frame.TimeAt(index);
        return (int)(((t.ToUnixTimeSeconds() % 604800) + 604800) % 604800 / (long)_frame.Step.TotalSeconds);
    }

    private static double Mean(double[] values, int from, int to)
    {
        double sum = 0;
        int n = 0;
        for (int i = Math.Max(0, from); i <= to && i < values.Length; i++)
        {
            if (!double.IsNaN(values[i]))
            {
                sum += values[i];
                n++;
            }
        }

        return n > 0 ? sum / n : double.NaN;
    }
}
