using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>
/// Features of one detector at one origin, from a 5-minute frame: the target's recent 15-minute
/// means, the other two measurements, the same slot last week, the time-of-week historical average
/// of the target window and how today compares with it so far (the day's demand level), the
/// approach's static layout and the calendar. Besides the time-of-week average, a day profile pooled
/// over every weekday (or weekend day) of the window, which has five times the samples per slot, and
/// today's demand level against it so far, for this lane and pooled over the intersection's lanes
/// (a busy day is busy on every lane of an approach).
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
        "profile_target", "profile_now", "day_ratio_lane", "day_ratio_approach", "day_ratio_approach_3h", "expected_target", "expected_minus_now",
    ];

    // Slots of a day profile (5-minute rows) and rows of today's level the ratios read at most (6 hours).
    private const int DaySlots = 288;
    private const int DayRatioRows = 72;

    private readonly SeriesFrame _frame;
    private readonly (Intersection Intersection, int Lane, string Id)[] _detectors;
    private readonly double[][][] _values;
    private readonly double[][][] _average;
    private readonly double[][][] _profile;
    private readonly int[][] _approach;
    private readonly int[] _daySlot;
    private readonly (double[] Observed, double[] Expected)[] _volumeSums;

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
        _daySlot = new int[frame.Length];
        for (int i = 0; i < frame.Length; i++)
        {
            var local = frame.TimeAt(i).ToOffset(TimeSpan.FromHours(9));
            int slot = (int)(local.TimeOfDay.TotalMinutes / frame.Step.TotalMinutes) % DaySlots;
            _daySlot[i] = local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? DaySlots + slot : slot;
        }

        _volumeSums = new (double[], double[])[_detectors.Length];
        _values = new double[_detectors.Length][][];
        _average = new double[_detectors.Length][][];
        _profile = new double[_detectors.Length][][];
        _approach = new int[_detectors.Length][];
        for (int d = 0; d < _detectors.Length; d++)
        {
            var intersection = _detectors[d].Intersection;
            _approach[d] = [.. Enumerable.Range(0, _detectors.Length).Where(x => ReferenceEquals(_detectors[x].Intersection, intersection))];
            string id = _detectors[d].Id;
            _values[d] = [frame[TrafficColumns.Volume(id)], frame[TrafficColumns.Speed(id)], frame[TrafficColumns.Queue(id)]];
            _average[d] = new double[3][];
            for (int t = 0; t < 3; t++)
            {
                _average[d][t] = RiverForecaster.TimeOfWeekMean(frame, _values[d][t], averageFrom, averageTo);
            }

            _profile[d] = [.. _values[d].Select(v => DayProfile(v, averageFrom, averageTo))];

            // Running sums of volume and its profile over the rows where both are known: today's level in O(1).
            var observed = new double[frame.Length + 1];
            var expected = new double[frame.Length + 1];
            for (int i = 0; i < frame.Length; i++)
            {
                double v = _values[d][0][i], p = _profile[d][0][DaySlot(i)];
                bool known = !double.IsNaN(v) && !double.IsNaN(p);
                observed[i + 1] = observed[i] + (known ? v : 0);
                expected[i + 1] = expected[i] + (known ? p : 0);
            }

            _volumeSums[d] = (observed, expected);
        }
    }

    /// <summary>Mean of each 5-minute slot of the day over rows [from, to): slots 0..287 for weekdays, 288..575 for weekend days.</summary>
    private double[] DayProfile(double[] values, int from, int to)
    {
        var sum = new double[2 * DaySlots];
        var count = new int[2 * DaySlots];
        for (int i = from; i < to; i++)
        {
            if (!double.IsNaN(values[i]))
            {
                int s = DaySlot(i);
                sum[s] += values[i];
                count[s]++;
            }
        }

        for (int s = 0; s < sum.Length; s++)
        {
            sum[s] = count[s] > 0 ? sum[s] / count[s] : double.NaN;
        }

        return sum;
    }

    private int DaySlot(int index) => _daySlot[Math.Clamp(index, 0, _daySlot.Length - 1)];

    /// <summary>Today's level for this lane, for its approach, and for its approach over the last 3 hours.</summary>
    private (double Lane, double Approach, double Approach3h) DayRatios(int d, int index) =>
        (DayRatio([d], index, DayRatioRows), DayRatio(_approach[d], index, DayRatioRows), DayRatio(_approach[d], index, 36));

    /// <summary>Day profile of the 15 minutes ending at row <paramref name="index"/>.</summary>
    private double Profile15(int d, int target, int index)
    {
        double sum = 0;
        for (int i = index - 2; i <= index; i++)
        {
            sum += _profile[d][target][DaySlot(i)];
        }

        return sum / 3;
    }

    /// <summary>
    /// Today's volume against the day profile over the rows since local midnight (at most <paramref name="rows"/>, at least
    /// the last hour) up to <paramref name="index"/>, summed over <paramref name="detectors"/>; 1 when there is too little traffic to tell.
    /// </summary>
    private double DayRatio(int[] detectors, int index, int rows)
    {
        int sinceMidnight = DaySlot(index) % DaySlots;
        int from = Math.Max(0, index - Math.Clamp(sinceMidnight, 12, rows) + 1);
        double observed = 0, expected = 0;
        foreach (int d in detectors)
        {
            var (o, e) = _volumeSums[d];
            observed += o[index + 1] - o[from];
            expected += e[index + 1] - e[from];
        }

        return expected > 5 ? observed / expected : 1;
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
        double profileTarget = Profile15(d, target, index + steps);
        var (ratioLane, ratioApproach, ratioApproach3h) = DayRatios(d, index);

        // What the profile and today's level expect (volume scales with the day's demand; speed and queue are read as profiled).
        double expected = target == 0 ? profileTarget * ratioApproach : profileTarget;
        return
        [
            (float)intersection.PeakDemandPerLane, intersection.Lanes, lane, (float)intersection.Cycle.TotalSeconds, (float)intersection.GreenSplit,
            (float)now15, (float)v[index], (float)Mean(v, index - 5, index - 3), (float)Mean(v, index - 8, index - 6), (float)Mean(v, index - 14, index - 12),
            (float)Mean15(d, 0, index), (float)Mean15(d, 1, index), (float)Mean15(d, 2, index), (float)(volumeHourAverage > 0.1 ? volumeHour / volumeHourAverage : 1),
            (float)lastWeek, (float)averageTarget, (float)averageNow, (float)(now15 - averageNow), (float)(averageTarget - averageNow),
            (float)local.TimeOfDay.TotalHours, (int)local.DayOfWeek, local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1 : 0,
            (float)profileTarget, (float)Profile15(d, target, index), (float)ratioLane, (float)ratioApproach, (float)ratioApproach3h,
            (float)expected, (float)(expected - now15),
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
