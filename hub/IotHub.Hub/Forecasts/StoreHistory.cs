using IotHub.Forecasting;
using IotHub.Storage;
using IotHub.Telemetry;

namespace IotHub.Hub.Forecasts;

/// <summary>
/// Fills forecast frames from the store: every gauge's <c>river</c> level, 10-minute rain and relayed rain nowcast on
/// 10-minute rows, each row holding the newest reading of the 10 minutes up to it (read as
/// 1-minute <c>last</c> buckets, so a gauge sampled every 2 s costs no more than one every 10 min);
/// every manhole's <c>sewer</c> level the same way on 5-minute rows; every detector's <c>traffic</c>
/// volume, speed and queue length as 5-minute means.
/// </summary>
internal static class StoreHistory
{
    private const string RiverMeasurement = "river";
    private const string TrafficMeasurement = "traffic";
    private const string SewerMeasurement = "sewer";
    private const string CarMeasurement = "car_load";
    private static readonly long Minute = TimeSpan.FromMinutes(1).Ticks * 100;

    /// <summary>
    /// <paramref name="rows"/> 10-minute rows ending at <paramref name="end"/> for <paramref name="gauges"/>.
    /// With <paramref name="fillGaps"/> a level carries forward over gaps of up to 30 minutes and
    /// back over the rows before a gauge's first reading (serving: the features need 3 hours,
    /// a hub that started an hour ago has one); the levels as read stay in <see cref="ObservedLevel"/>.
    /// </summary>
    public static async Task<SeriesFrame> RiversAsync(ITimeSeriesStore store, IReadOnlyList<string> gauges, DateTimeOffset end, int rows, bool fillGaps, CancellationToken cancellationToken)
    {
        var frame = new SeriesFrame(end - (RiverColumns.Step * (rows - 1)), RiverColumns.Step, rows);
        foreach (string gauge in gauges)
        {
            var level = frame.AddColumn(RiverColumns.Level(gauge));
            var rain = frame.AddColumn(RiverColumns.Rain10Min(gauge));
            await FillAsync(store, frame, RiverMeasurement, gauge, "level", level, cancellationToken);
            await FillAsync(store, frame, RiverMeasurement, gauge, "rain_10min", rain, cancellationToken);
            for (int n = 0; n < RiverColumns.RainNowcastIntervals; n++)
            {
                await FillAsync(store, frame, RiverMeasurement, gauge, IotHub.City.DeviceKinds.RainNowcastFields[n], frame.AddColumn(RiverColumns.RainNowcast(gauge, n)), cancellationToken);
            }

            if (fillGaps)
            {
                Array.Copy(level, frame.AddColumn(ObservedLevel(gauge)), rows);
                FillGaps(level);
            }
        }

        return frame;
    }

    /// <summary>
    /// <paramref name="rows"/> 5-minute rows ending at <paramref name="end"/> (a multiple of 5 minutes) for
    /// <paramref name="detectors"/>: row t holds the means of the readings in [t - 5 min, t).
    /// </summary>
    public static async Task<SeriesFrame> TrafficAsync(ITimeSeriesStore store, IReadOnlyList<string> detectors, DateTimeOffset end, int rows, CancellationToken cancellationToken)
    {
        var frame = new SeriesFrame(end - (TrafficColumns.Step * (rows - 1)), TrafficColumns.Step, rows);
        long step = TrafficColumns.Step.Ticks * 100;
        long start = TimeUnits.FromDateTimeOffset(frame.Start);
        foreach (string detector in detectors)
        {
            foreach (var (field, column) in new[] { ("volume", TrafficColumns.Volume(detector)), ("speed", TrafficColumns.Speed(detector)), ("queue_length", TrafficColumns.Queue(detector)) })
            {
                var values = frame.AddColumn(column);
                var points = await DeviceSeriesAsync(store, TrafficMeasurement, detector, field, start - step, TimeUnits.FromDateTimeOffset(end), step, Aggregate.Mean, cancellationToken);
                foreach (var (time, value) in points)
                {
                    long row = (time + step - start) / step;
                    if (row >= 0 && row < rows)
                    {
                        values[row] = value;
                    }
                }
            }
        }

        return frame;
    }

    /// <summary>
    /// The <c>car_load</c> load factors of <paramref name="cars"/> (device id, car number) in [<paramref name="from"/>, <paramref name="to"/>],
    /// the last of each minute (a car reports once per departure, about every two minutes): (time, car, load factor) in time order.
    /// </summary>
    public static async Task<IReadOnlyList<(DateTimeOffset Time, int Car, double LoadFactor)>> CarLoadsAsync(ITimeSeriesStore store, IReadOnlyList<(string Id, int Car)> cars, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        long start = TimeUnits.FromDateTimeOffset(from);
        long end = TimeUnits.FromDateTimeOffset(to) + 1;
        var result = new List<(DateTimeOffset, int, double)>();
        foreach (var (id, car) in cars)
        {
            foreach (var (time, value) in await DeviceSeriesAsync(store, CarMeasurement, id, "load_factor", start, end, Minute, Aggregate.Last, cancellationToken))
            {
                result.Add((TimeUnits.ToDateTimeOffset(time), car, value));
            }
        }

        result.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }

    /// <summary>
    /// One device's <paramref name="field"/> of <paramref name="measurement"/> in [<paramref name="fromNs"/>, <paramref name="toNs"/>)
    /// in <paramref name="stepNs"/> buckets (every bucket of the range fits the row limit); empty when nothing of it is stored yet.
    /// </summary>
    private static async Task<IEnumerable<(long TimestampNs, double Value)>> DeviceSeriesAsync(
        ITimeSeriesStore store, string measurement, string device, string field, long fromNs, long toNs, long stepNs, Aggregate aggregate, CancellationToken cancellationToken)
    {
        var query = new SeriesQuery(
            measurement,
            field,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["device"] = device },
            fromNs,
            toNs,
            stepNs,
            aggregate,
            (int)Math.Min(int.MaxValue, ((toNs - fromNs) / stepNs) + 2));
        try
        {
            return (await store.QueryAsync(query, cancellationToken)).SelectMany(s => s.Points);
        }
        catch (QueryException)
        {
            // Nothing of this measurement or field stored yet.
            return [];
        }
    }

    /// <summary>The column of a serving frame that keeps the levels as read, before gaps were filled.</summary>
    public static string ObservedLevel(string gauge) => RiverColumns.Level(gauge) + ".observed";

    /// <summary>
    /// <paramref name="rows"/> 5-minute rows ending at <paramref name="end"/> for <paramref name="manholes"/> (id, pipe diameter)
    /// and the rain and relayed radar rain nowcast of <paramref name="gauges"/>: each row the newest reading of the 5 minutes up to it; a surcharged
    /// pipe (no level reported) counts as full.
    /// </summary>
    public static async Task<SeriesFrame> SewersAsync(ITimeSeriesStore store, IReadOnlyList<(string Id, double Diameter)> manholes, IReadOnlyList<string> gauges, DateTimeOffset end, int rows, CancellationToken cancellationToken)
    {
        var frame = new SeriesFrame(end - (SewerColumns.Step * (rows - 1)), SewerColumns.Step, rows);
        foreach (var (id, diameter) in manholes)
        {
            var level = frame.AddColumn(SewerColumns.Level(id));
            var surcharged = frame.AddColumn(SewerColumns.Surcharged(id));
            await FillAsync(store, frame, SewerMeasurement, id, "level", level, cancellationToken);
            await FillAsync(store, frame, SewerMeasurement, id, "surcharged", surcharged, cancellationToken);
            for (int i = 0; i < rows; i++)
            {
                level[i] = surcharged[i] == 1 ? diameter : level[i];
            }
        }

        foreach (string gauge in gauges)
        {
            await FillAsync(store, frame, RiverMeasurement, gauge, "rain_10min", frame.AddColumn(RiverColumns.Rain10Min(gauge)), cancellationToken);
            for (int n = 0; n < RiverColumns.RainNowcastIntervals; n++)
            {
                await FillAsync(store, frame, RiverMeasurement, gauge, IotHub.City.DeviceKinds.RainNowcastFields[n], frame.AddColumn(RiverColumns.RainNowcast(gauge, n)), cancellationToken);
            }
        }

        return frame;
    }

    private static async Task FillAsync(ITimeSeriesStore store, SeriesFrame frame, string measurement, string device, string field, double[] column, CancellationToken cancellationToken)
    {
        long from = TimeUnits.FromDateTimeOffset(frame.Start - frame.Step);
        long to = TimeUnits.FromDateTimeOffset(frame.TimeAt(frame.Length - 1)) + Minute;
        long step = frame.Step.Ticks * 100;
        long start = TimeUnits.FromDateTimeOffset(frame.Start);
        foreach (var (time, value) in await DeviceSeriesAsync(store, measurement, device, field, from, to, Minute, Aggregate.Last, cancellationToken))
        {
            // A 1-minute bucket belongs to the first row at or after its start: the row holds the newest reading of its step.
            long row = (time - start + step - 1) / step;
            if (time >= start - step && row >= 0 && row < frame.Length)
            {
                column[row] = value;
            }
        }
    }

    private static void FillGaps(double[] level)
    {
        int first = Array.FindIndex(level, v => !double.IsNaN(v));
        if (first < 0)
        {
            return;
        }

        Array.Fill(level, level[first], 0, first);
        int gap = 0;
        for (int i = first + 1; i < level.Length; i++)
        {
            if (!double.IsNaN(level[i]))
            {
                gap = 0;
            }
            else if (++gap <= 3)
            {
                level[i] = level[i - 1];
            }
        }
    }
}
