using System.Globalization;
using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting;

/// <summary>
/// Closed-loop evaluation of Webster timings from forecast flows against the fixed plan, on the
/// weekday morning peaks of the held-out days. Each morning is simulated twice from 05:00 with the
/// same seed: once with the fixed plan, once re-timing every intersection every 15 minutes from
/// 06:45 to 10:00 from the 15-minute volume forecasts made on that run's own detector data.
/// Delay on the detector-equipped approach is measured from the simulator's queues, read every 10 s
/// (vehicle-seconds queued over the vehicles counted). The simulator does not model the conflicting
/// street: its flow ratio is taken as what makes the fixed plan Webster-proportional at the historical
/// peak, following the main approach's daily rhythm, and its delay comes from Webster's formula.
/// </summary>
internal sealed class SignalEvaluation
{
    private const double LostTime = 10;
    private const double QueueSpacing = 7.0; // metres per queued vehicle, as the simulator's queue model
    private const double PeakFrom = 7.0;
    private const double PeakTo = 10.0;

    private readonly CityScenario _city;
    private readonly int _seed;

    public SignalEvaluation(CityScenario city, int seed)
    {
        _city = city;
        _seed = seed;
    }

    /// <summary>Runs the weekday mornings of days [fromRow, toRow) of <paramref name="history"/> (the fixed plan's record).</summary>
    public SignalResult Run(SeriesFrame history, int averageFrom, int averageTo, HorizonModel volume15, int fromRow, int toRow, int maxDays, IProgress<string>? progress)
    {
        var frame = history.Slice(0, history.Length);
        var features = new TrafficFeatures(_city, frame, averageFrom, averageTo);
        var intersections = _city.Intersections;

        // Critical-lane historical average (veh/min) per time-of-week row, and the cross streets' design flow ratio.
        var crossDesign = new double[intersections.Count];
        var peakAverage = new double[intersections.Count];
        var laneOf = new List<int>[intersections.Count];
        for (int k = 0; k < intersections.Count; k++)
        {
            laneOf[k] = [];
        }

        for (int d = 0; d < features.Count; d++)
        {
            var (intersection, _, _) = features.Detector(d);
            int k = IndexOf(intersections, intersection.Id);
            laneOf[k].Add(d);
        }

        for (int k = 0; k < intersections.Count; k++)
        {
            double peak = 0;
            for (int i = averageFrom + 12; i < Math.Min(averageTo, averageFrom + (7 * 288)); i++)
            {
                foreach (int d in laneOf[k])
                {
                    peak = Math.Max(peak, features.Average15(d, 0, i));
                }
            }

            peakAverage[k] = peak;
            double ym = peak * 60 / Webster.SaturationFlow;
            double c = intersections[k].Cycle.TotalSeconds;
            crossDesign[k] = ym * (((c - LostTime) / (intersections[k].GreenSplit * c)) - 1);
        }

        double fixedMain = 0, fixedCross = 0, websterMain = 0, websterCross = 0, vehiclesMain = 0, vehiclesMainWebster = 0, vehiclesCross = 0;
        int days = 0;
        for (int row = fromRow; row < toRow && days < maxDays; row += 288)
        {
            var dayStart = frame.TimeAt(row);
            var local = dayStart.ToOffset(TimeSpan.FromHours(9));
            var serviceStart = new DateTimeOffset(local.Date, TimeSpan.FromHours(9)).AddHours(5);
            if (local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || frame.IndexAtOrBefore(serviceStart.AddHours(6)) >= toRow)
            {
                continue;
            }

            days++;
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"signals: closed loop {local:yyyy-MM-dd}"));
            var a = Morning(frame, features, volume15, serviceStart, crossDesign, peakAverage, laneOf, control: false);
            var b = Morning(frame, features, volume15, serviceStart, crossDesign, peakAverage, laneOf, control: true);
            fixedMain += a.MainDelay;
            fixedCross += a.CrossDelay;
            vehiclesMain += a.MainVehicles;
            websterMain += b.MainDelay;
            websterCross += b.CrossDelay;
            vehiclesMainWebster += b.MainVehicles;
            vehiclesCross += a.CrossVehicles;
        }

        return new SignalResult(
            days,
            fixedMain / Math.Max(1, vehiclesMain),
            websterMain / Math.Max(1, vehiclesMainWebster),
            fixedCross / Math.Max(1, vehiclesCross),
            websterCross / Math.Max(1, vehiclesCross),
            (fixedMain + fixedCross) / Math.Max(1, vehiclesMain + vehiclesCross),
            (websterMain + websterCross) / Math.Max(1, vehiclesMainWebster + vehiclesCross));
    }

    private (double MainDelay, double MainVehicles, double CrossDelay, double CrossVehicles) Morning(
        SeriesFrame frame, TrafficFeatures features, HorizonModel volume15, DateTimeOffset serviceStart, double[] crossDesign, double[] peakAverage, List<int>[] laneOf, bool control)
    {
        var intersections = _city.Intersections;
        var sim = new CitySimulation(CityHistory.TrafficOnly(_city), _seed, serviceStart);
        var timing = new (double Cycle, double Main, double Cross)[intersections.Count];
        for (int k = 0; k < intersections.Count; k++)
        {
            double c = intersections[k].Cycle.TotalSeconds;
            timing[k] = (c, intersections[k].GreenSplit, ((c * (1 - intersections[k].GreenSplit)) - LostTime) / c);
        }

        double mainDelay = 0, mainVehicles = 0, crossDelay = 0, crossVehicles = 0;
        var end = serviceStart.AddHours(PeakTo - 5);
        int rowOfMinute = -1;
        for (var t = serviceStart.AddSeconds(10); t <= end; t = t.AddSeconds(10))
        {
            double hour = t.ToOffset(TimeSpan.FromHours(9)).TimeOfDay.TotalHours;
            bool minute = t.Second == 0;
            int row = frame.IndexAtOrBefore(t.AddTicks(-1)) + 1;

            // At each quarter hour from 06:45: forecast the next 15 minutes and re-time (closed loop).
            if (minute && t.Minute % 15 == 0 && hour >= PeakFrom - 0.25 && hour < PeakTo)
            {
                for (int k = 0; k < intersections.Count; k++)
                {
                    double critical = 0, criticalAverage = 0;
                    foreach (int d in laneOf[k])
                    {
                        if (features.Build(d, 0, row - 1, 3) is { } f)
                        {
                            critical = Math.Max(critical, features.Mean15(d, 0, row - 1) + volume15.Predict(f));
                        }

                        criticalAverage = Math.Max(criticalAverage, features.Average15(d, 0, row + 2));
                    }

                    double yc = CrossRatio(crossDesign[k], criticalAverage, peakAverage[k]);
                    if (control)
                    {
                        var plan = Webster.Plan(critical * 60 / Webster.SaturationFlow, yc, LostTime);
                        sim.SetSignalTiming(intersections[k].Id, plan.Cycle, plan.MainGreenSplit);
                        timing[k] = (plan.Cycle.TotalSeconds, plan.MainGreenSplit, plan.CrossGreenSplit);
                    }

                    // The conflicting street over the next 15 minutes, per lane: Webster's delay at its flow and green.
                    if (hour >= PeakFrom)
                    {
                        double vehicles = yc * Webster.SaturationFlow * 0.25 * intersections[k].Lanes;
                        crossDelay += Webster.Delay(timing[k].Cycle, Math.Max(0.05, timing[k].Cross), yc) * vehicles;
                        crossVehicles += vehicles;
                    }
                }
            }

            sim.AdvanceTo(t);
            bool inPeak = hour >= PeakFrom && hour < PeakTo;
            if (!inPeak && !minute)
            {
                continue;
            }

            if (minute && row != rowOfMinute)
            {
                // A new 5-minute row of this run's own record: reset it before the first minute lands in it.
                for (int d = 0; d < features.Count; d++)
                {
                    string id = features.Detector(d).Id;
                    frame[TrafficColumns.Volume(id)][row] = 0;
                    frame[TrafficColumns.Speed(id)][row] = 0;
                    frame[TrafficColumns.Queue(id)][row] = 0;
                }

                rowOfMinute = row;
            }

            for (int d = 0; d < features.Count; d++)
            {
                string id = features.Detector(d).Id;
                long volume = 0;
                double queue = 0, speed = 0;
                foreach (var field in sim.Read(id))
                {
                    switch (field.Key)
                    {
                        case "volume":
                            volume = (long)field.Value;
                            break;
                        case "queue_length":
                            queue = (double)field.Value;
                            break;
                        case "speed":
                            speed = (double)field.Value;
                            break;
                    }
                }

                if (inPeak)
                {
                    mainDelay += queue / QueueSpacing * 10;
                    mainVehicles += volume / 6.0;
                }

                if (minute)
                {
                    frame[TrafficColumns.Volume(id)][row] += volume / 5.0;
                    frame[TrafficColumns.Speed(id)][row] += speed / 5.0;
                    frame[TrafficColumns.Queue(id)][row] += queue / 5.0;
                }
            }
        }

        return (mainDelay, mainVehicles, crossDelay, crossVehicles);
    }

    private static double CrossRatio(double design, double criticalAverage, double peakAverage) =>
        peakAverage > 0 ? design * criticalAverage / peakAverage : design;

    private static int IndexOf(IReadOnlyList<Intersection> intersections, string id)
    {
        for (int k = 0; k < intersections.Count; k++)
        {
            if (string.Equals(intersections[k].Id, id, StringComparison.Ordinal))
            {
                return k;
            }
        }

        return -1;
    }
}
