using System.Globalization;
using IotHub.City;
using Microsoft.ML;

namespace IotHub.Forecasting;

/// <summary>
/// Per-car load (乗車率, % of capacity) of every train at every station. Day ahead for the
/// weekday timetable: a model per target predicting the change from the slot's mean over the last
/// five weekdays, with the slot (line, train, car, station, direction, trip, time) and the same
/// slot last week and yesterday as features. Nowcast for the rest of a running trip: the day-ahead
/// forecast scaled by how full this train has run today so far against its day-ahead forecast.
/// </summary>
internal sealed class CrowdingForecaster
{
    public static readonly string[] Names =
    [
        "line", "train", "car", "capacity", "station", "forward", "trip", "hour",
        "mean_5_weekdays", "previous_weekday", "same_slot_last_week", "window_mean", "previous_minus_mean",
    ];

    // Day-ahead training rows: one slot in this many per day (the timetable has ~160 k departures a day).
    private const int SlotStride = 16;

    private readonly CityScenario _city;
    private readonly TrainerKind _trainer;
    private readonly GbmOptions _options;

    public CrowdingForecaster(CityScenario city, TrainerKind trainer, GbmOptions options)
    {
        _city = city;
        _trainer = trainer;
        _options = options;
    }

    /// <summary>Weekday departures, [weekday][slot]: the same slot index is the same timetable departure every weekday.</summary>
    public static List<CarStop[]> Weekdays(CityScenario city, int seed, DateTimeOffset start, int days)
    {
        var byDay = new List<CarStop[]>();
        for (int day = 0; day < days; day++)
        {
            var dayStart = start.AddDays(day);
            var local = dayStart.ToOffset(TimeSpan.FromHours(9));
            if (local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                continue;
            }

            var stops = CityHistory.Subway(city, seed, dayStart, 1);
            stops.Sort((a, b) => CityHistory.SlotKey(a).CompareTo(CityHistory.SlotKey(b)));
            byDay.Add([.. stops]);
        }

        return byDay;
    }

    public float[] Features(List<CarStop[]> days, int day, int slot, int windowFrom)
    {
        var stop = days[day][slot];
        var line = _city.SubwayLines[stop.Line];
        double mean5 = 0;
        int n5 = 0;
        for (int d = Math.Max(0, day - 5); d < day; d++)
        {
            mean5 += days[d][slot].LoadFactor;
            n5++;
        }

        mean5 = n5 > 0 ? mean5 / n5 : 0;
        double window = 0;
        int nw = 0;
        for (int d = windowFrom; d < day; d++)
        {
            window += days[d][slot].LoadFactor;
            nw++;
        }

        window = nw > 0 ? window / nw : mean5;
        double previous = day > 0 ? days[day - 1][slot].LoadFactor : mean5;
        double lastWeek = day >= 5 ? days[day - 5][slot].LoadFactor : mean5;
        var local = stop.Time.ToOffset(TimeSpan.FromHours(9));
        return
        [
            stop.Line, stop.Train, stop.Car, line.CarCapacity(stop.Car), stop.Station, stop.Forward ? 1 : 0, stop.Trip, (float)local.TimeOfDay.TotalHours,
            (float)mean5, (float)previous, (float)lastWeek, (float)window, (float)(previous - mean5),
        ];
    }

    public HorizonModel Train(List<CarStop[]> days, int from, int to, DateTimeOffset trainFrom, DateTimeOffset trainTo)
    {
        var rows = new TrainingRows();
        for (int day = from + 5; day < to; day++)
        {
            for (int slot = day % SlotStride; slot < days[day].Length; slot += SlotStride)
            {
                var f = Features(days, day, slot, from);
                rows.Add(f, days[day][slot].LoadFactor - f[8], 0, day);
            }
        }

        var card = new ModelCard
        {
            Name = "crowding-car-load-day-ahead",
            Target = "car_load.load_factor (weekday timetable, next day)",
            Unit = "% of capacity",
            HorizonMinutes = 24 * 60,
            Features = Names,
            TrainingFrom = trainFrom,
            TrainingTo = trainTo,
            TrainingRows = rows.Count,
            Trainer = "",
            ResidualPercentiles = [],
            BinRule = "one bin; the target is the change from the slot's mean over the last five weekdays",
        };
        return HorizonModel.Train(new MLContext(seed: 1), card, rows, _trainer, _options, bins: 1);
    }

    /// <summary>
    /// The day-ahead forecast of the next weekday after <paramref name="days"/>: its timetable (the last weekday's departures,
    /// whose loads are not read) with the load of every slot from the weekdays before it.
    /// </summary>
    public (CarStop[] Timetable, double[] Forecast) DayAhead(HorizonModel model, List<CarStop[]> days)
    {
        var withNext = new List<CarStop[]>(days) { days[^1] };
        int day = withNext.Count - 1;
        var batch = new List<float[]>(days[^1].Length);
        for (int slot = 0; slot < days[^1].Length; slot++)
        {
            batch.Add(Features(withNext, day, slot, 0));
        }

        var delta = model.PredictBatch(batch);
        return (days[^1], [.. delta.Select((d, slot) => Math.Max(0, batch[slot][8] + d))]);
    }

    /// <summary>Backtest over weekday folds: day ahead and the nowcast, with the busiest train's plot.</summary>
    public CrowdingBacktest Backtest(List<CarStop[]> days, Fold[] folds, IProgress<string>? progress)
    {
        var dayAhead = new List<(double Actual, double Model, double Previous, double Average, bool Peak)>();
        var nowcast = new List<(double Actual, double Model, double DayAhead, double Current)>();
        HorizonModel? last = null;
        double seconds = 0;
        PlotSeries? plot = null;
        foreach (var fold in folds)
        {
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"crowding: training fold of weekdays {fold.TrainFrom}-{fold.TrainTo}"));
            var clock = TrainingClock.Start();
            last = Train(days, fold.TrainFrom, fold.TrainTo, days[fold.TrainFrom][0].Time, days[fold.TrainTo - 1][^1].Time);
            seconds = clock.Stop();
            for (int day = fold.TestFrom; day < fold.TestTo; day++)
            {
                // Day ahead: everything known at the end of the previous day (the test day's own loads are not used).
                var batch = new List<float[]>(days[day].Length);
                for (int slot = 0; slot < days[day].Length; slot++)
                {
                    batch.Add(Features(days, day, slot, fold.TrainFrom));
                }

                var delta = last.PredictBatch(batch);
                var forecast = new double[delta.Length];
                for (int slot = 0; slot < delta.Length; slot++)
                {
                    var stop = days[day][slot];
                    forecast[slot] = Math.Max(0, batch[slot][8] + delta[slot]);
                    double hour = stop.Time.ToOffset(TimeSpan.FromHours(9)).TimeOfDay.TotalHours;
                    dayAhead.Add((stop.LoadFactor, forecast[slot], batch[slot][9], batch[slot][11], hour is >= 7 and <= 10));
                }

                Nowcast(days[day], forecast, nowcast);
                if (day == fold.TestTo - 1 && fold.Equals(folds[^1]))
                {
                    plot = BusiestTrainPlot(days, day, forecast, batch);
                }
            }
        }

        var a = dayAhead.Select(r => r.Actual).ToArray();
        var peak = dayAhead.Where(r => r.Peak).ToList();
        var pa = peak.Select(r => r.Actual).ToArray();
        var na = nowcast.Select(r => r.Actual).ToArray();
        var scores = new List<HorizonScores>
        {
            new("car_load.load_factor, day ahead", 1440, ForecastMetrics.Compute(a, dayAhead.Select(r => r.Model).ToArray()), ForecastMetrics.Compute(a, dayAhead.Select(r => r.Previous).ToArray()), ForecastMetrics.Compute(a, dayAhead.Select(r => r.Average).ToArray()), "all weekday departures"),
            new("car_load.load_factor, day ahead", 1440, ForecastMetrics.Compute(pa, peak.Select(r => r.Model).ToArray()), ForecastMetrics.Compute(pa, peak.Select(r => r.Previous).ToArray()), ForecastMetrics.Compute(pa, peak.Select(r => r.Average).ToArray()), "departures 07-10"),
        };
        var nowcastScores = new HorizonScores(
            "car_load.load_factor, nowcast (rest of trip)", 0,
            ForecastMetrics.Compute(na, nowcast.Select(r => r.Model).ToArray()),
            ForecastMetrics.Compute(na, nowcast.Select(r => r.Current).ToArray()),
            ForecastMetrics.Compute(na, nowcast.Select(r => r.DayAhead).ToArray()),
            "persistence = the car's load now; hist. avg column = the day-ahead forecast");
        scores.Add(nowcastScores);
        var final = new HorizonModel(new MLContext(seed: 1), last!.Transformer, last.Card with
        {
            Metrics = new Dictionary<string, ForecastMetrics>(StringComparer.Ordinal)
            {
                ["model"] = scores[0].Model,
                ["persistence"] = scores[0].Persistence,
                ["historical-average"] = scores[0].HistoricalAverage,
                ["nowcast"] = nowcastScores.Model,
            },
        });
        return new CrowdingBacktest(scores, final, plot, seconds);
    }

    /// <summary>Scale for a running train: its loads so far today over their day-ahead forecasts (a train's demand varies by day).</summary>
    internal static double Scale(double observedSum, double forecastSum) =>
        forecastSum > 50 ? Math.Clamp(observedSum / forecastSum, 0.7, 1.3) : 1.0;

    private static void Nowcast(CarStop[] day, double[] forecast, List<(double, double, double, double)> results)
    {
        // Group the day's departures by train and trip, in time order.
        var byTrain = new Dictionary<(int Line, int Train), List<int>>();
        for (int slot = 0; slot < day.Length; slot++)
        {
            var key = (day[slot].Line, day[slot].Train);
            if (!byTrain.TryGetValue(key, out var list))
            {
                byTrain[key] = list = [];
            }

            list.Add(slot);
        }

        foreach (var slots in byTrain.Values)
        {
            slots.Sort((x, y) => day[x].Time != day[y].Time ? day[x].Time.CompareTo(day[y].Time) : day[x].Car.CompareTo(day[y].Car));
            double observed = 0, expected = 0;
            int i = 0;
            while (i < slots.Count)
            {
                // All cars leaving one station at one time: the origin of a nowcast once they have reported.
                int j = i;
                while (j < slots.Count && day[slots[j]].Time == day[slots[i]].Time)
                {
                    observed += day[slots[j]].LoadFactor;
                    expected += forecast[slots[j]];
                    j++;
                }

                var origin = day[slots[i]];

                // Origins every third station keep the evaluation small; targets: the rest of this trip.
                if (origin.Ordinal % 3 == 0)
                {
                    double scale = Scale(observed, expected);
                    for (int k = j; k < slots.Count && day[slots[k]].Trip == origin.Trip; k++)
                    {
                        var target = day[slots[k]];
                        double current = 0;
                        for (int c = i; c < j; c++)
                        {
                            if (day[slots[c]].Car == target.Car)
                            {
                                current = day[slots[c]].LoadFactor;
                            }
                        }

                        results.Add((target.LoadFactor, forecast[slots[k]] * scale, forecast[slots[k]], current));
                    }
                }

                i = j;
            }
        }
    }

    private PlotSeries BusiestTrainPlot(List<CarStop[]> days, int day, double[] forecast, List<float[]> features)
    {
        var stops = days[day];
        int busiest = 0;
        for (int slot = 1; slot < stops.Length; slot++)
        {
            if (stops[slot].LoadFactor > stops[busiest].LoadFactor)
            {
                busiest = slot;
            }
        }

        var b = stops[busiest];
        var slots = Enumerable.Range(0, stops.Length)
            .Where(s => stops[s].CarKey == b.CarKey && stops[s].Time.ToOffset(TimeSpan.FromHours(9)).TimeOfDay.TotalHours is >= 5 and <= 12)
            .OrderBy(s => stops[s].Time)
            .ToArray();
        var x = slots.Select(s => stops[s].Time.ToOffset(TimeSpan.FromHours(9)).TimeOfDay.TotalHours).ToArray();
        var line = _city.SubwayLines[b.Line];
        return new PlotSeries(
            string.Create(CultureInfo.InvariantCulture, $"Busiest car: {line.Name} train {b.Train} car {b.Car}, {b.Time.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd}: day-ahead load"),
            "load factor (% of capacity)",
            x,
            "hour of day (JST), one point per departure",
            slots.Select(s => (double)stops[s].LoadFactor).ToArray(),
            slots.Select(s => forecast[s]).ToArray(),
            [],
            [],
            slots.Select(s => (double)features[s][11]).ToArray(),
            "historical average",
            [new("100% capacity", 100), new("150%", 150)]);
    }
}
