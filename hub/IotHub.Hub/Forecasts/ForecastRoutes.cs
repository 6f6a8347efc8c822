using IotHub.City;

namespace IotHub.Hub.Forecasts;

/// <summary>
/// <c>/api/v1/forecast/status</c>, <c>/api/v1/forecast/river?gauge=ID</c>, <c>/api/v1/forecast/detector</c>, <c>/api/v1/forecast/sewer</c>,
/// <c>/api/v1/forecast/crowding?line=ID&amp;train=N[&amp;date=][&amp;at=]</c>, <c>POST /api/v1/forecast/train</c> and <c>/api/v1/alerts</c>:
/// 400 names a bad parameter, 503 says why no forecast can be made yet.
/// </summary>
internal static class ForecastRoutes
{
    private static readonly string[] ThresholdKeys = ["standby", "floodCaution", "evacuationJudgement", "floodDanger"];
    private static readonly string[] TrafficTargets = ["volume", "speed", "queue_length"];
    private static readonly string[] TrafficUnits = ["veh/min", "km/h", "m"];

    // A detector forecast reads the same slot last week and the time-of-week average: this much of its history must be in the store.
    private const double MinDetectorDays = 7;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/forecast/status", Status);
        api.MapGet("/forecast/river", RiverAsync);
        api.MapGet("/forecast/detector", DetectorAsync);
        api.MapGet("/forecast/sewer", SewerAsync);
        api.MapGet("/forecast/crowding", CrowdingAsync);
        api.MapPost("/forecast/train", Train);
        api.MapGet("/alerts", Alerts);
    }

    private static IResult Status(ForecastHost host)
    {
        var status = host.Status;
        return Results.Ok(new
        {
            state = status.State,
            detail = status.Detail,
            percent = Math.Round(status.Percent, 1),
            city = host.City.Name,
            modelsDirectory = host.ModelsDirectory,
            trainedAt = status.TrainedAt,
            source = status.Source,
            nextTraining = status.NextTraining,
            lastError = status.LastError,
            gauges = host.Gauges.Select(g => g.DeviceId),
            detectors = host.Detectors,
            manholes = host.Manholes.Select(m => m.DeviceId),
            models = host.Service.Models.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => new
            {
                name = m.Name,
                target = m.Target,
                unit = m.Unit,
                horizonMinutes = m.HorizonMinutes,
                trainingFrom = m.TrainingFrom,
                trainingTo = m.TrainingTo,
                trainingRows = m.TrainingRows,
                trainer = m.Trainer,
            }),
        });
    }

    private static IResult Train(ForecastHost host)
    {
        if (host.RequestTraining())
        {
            return Results.Accepted("/api/v1/forecast/status", new { state = "training", detail = "a training starts now; follow it at /api/v1/forecast/status" });
        }

        var status = host.Status;
        return status.State == "disabled"
            ? Results.Problem(statusCode: 503, title: "Forecasts off", detail: status.Detail)
            : Results.Problem(statusCode: 409, title: "Training running", detail: string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a training is already running ({status.Percent:F0}%: {status.Detail})"));
    }

    private static async Task<IResult> RiverAsync(HttpContext context, ForecastHost host)
    {
        if (Device(context, "gauge", "river gauge", host.City.Name, [.. host.Gauges.Select(g => g.DeviceId)]) is { } problem)
        {
            return problem;
        }

        string id = context.Request.Query["gauge"].ToString();
        var gauge = host.Gauges.First(g => string.Equals(g.DeviceId, id, StringComparison.Ordinal));

        if (host.Status.State == "disabled")
        {
            return Results.Problem(statusCode: 503, title: "Forecasts off", detail: host.Status.Detail);
        }

        if (!host.HasRiverModels)
        {
            return Results.Problem(statusCode: 503, title: "No model loaded", detail: host.Unavailable);
        }

        var frame = await host.RecentAsync(context.RequestAborted);
        var forecast = host.Service.ForecastRiver(gauge.DeviceId, frame);
        if (forecast is null)
        {
            return Results.Problem(statusCode: 503, title: "No recent reading", detail: $"no level reading from {gauge.DeviceId} in the last 40 minutes: a forecast starts from the gauge's current level");
        }

        var observed = frame[StoreHistory.ObservedLevel(gauge.DeviceId)];
        var status = host.Status;
        return Results.Ok(new
        {
            gauge = gauge.DeviceId,
            name = gauge.Name,
            origin = forecast.Origin,
            level = forecast.Level,
            thresholds = Thresholds(gauge.Thresholds),
            observed = Enumerable.Range(0, frame.Length).Where(i => !double.IsNaN(observed[i])).Select(i => new { time = frame.TimeAt(i), level = observed[i] }),
            horizons = forecast.Horizons.Select(h => new
            {
                minutes = h.HorizonMinutes,
                validAt = h.ValidAt,
                level = h.Level,
                lower = h.Lower,
                upper = h.Upper,
                probabilities = ThresholdKeys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => h.ThresholdProbabilities[x.i]),
            }),
            interval = "lower and upper are the 10th and 90th percentiles; probabilities are of being at or above each threshold at that time",
            model = new { trainedAt = status.TrainedAt, source = status.Source },
        });
    }

    private static async Task<IResult> DetectorAsync(HttpContext context, ForecastHost host)
    {
        if (Device(context, "detector", "traffic detector", host.City.Name, host.Detectors) is { } problem)
        {
            return problem;
        }

        string id = context.Request.Query["detector"].ToString();
        string[] targets = TrafficTargets;
        if (context.Request.Query.TryGetValue("target", out var target))
        {
            if (target.Count > 1 || !TrafficTargets.Contains(target.ToString(), StringComparer.Ordinal))
            {
                return Results.Problem(statusCode: 400, title: "Unknown target", detail: $"target '{Truncate(target.ToString())}' is not one of {string.Join(", ", TrafficTargets)} (leave it out for all three)");
            }

            targets = [target.ToString()];
        }

        if (host.Status.State == "disabled")
        {
            return Results.Problem(statusCode: 503, title: "Forecasts off", detail: host.Status.Detail);
        }

        if (!host.Service.Models.Any(m => m.Target.StartsWith("traffic.", StringComparison.Ordinal)))
        {
            return Results.Problem(statusCode: 503, title: "No model loaded", detail: $"no detector model is loaded yet ({host.Status.State}: {host.Status.Source ?? host.Status.Detail})");
        }

        var frame = await host.RecentTrafficAsync(context.RequestAborted);
        double days = frame[Forecasting.TrafficColumns.Volume(id)].Count(v => !double.IsNaN(v)) * frame.Step.TotalDays;
        if (days < MinDetectorDays)
        {
            return Results.Problem(statusCode: 503, title: "Too little history", detail: string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a detector forecast reads the last 8 days (the same slot last week, the time-of-week average); the store holds {days:F1} days of {id}, {MinDetectorDays} are needed"));
        }

        var forecasts = targets.ToDictionary(t => t, t => host.Service.ForecastDetector(id, t, frame));
        if (forecasts.Values.All(f => f.Count == 0))
        {
            return Results.Problem(statusCode: 503, title: "No recent reading", detail: $"no reading from {id} in the last 15 minutes: a forecast starts from the detector's current 15-minute mean");
        }

        return Results.Ok(new
        {
            detector = id,
            origin = frame.TimeAt(frame.Length - 1),
            targets = forecasts.ToDictionary(f => f.Key, f => new
            {
                unit = TrafficUnits[Array.IndexOf(TrafficTargets, f.Key)],
                horizons = f.Value.Select(h => new { minutes = h.HorizonMinutes, validAt = frame.TimeAt(frame.Length - 1).AddMinutes(h.HorizonMinutes), value = h.Value, lower = h.Lower, upper = h.Upper }),
            }),
            meaning = "15-minute means per lane ending at validAt; lower and upper are the 10th and 90th percentiles",
        });
    }

    private static async Task<IResult> SewerAsync(HttpContext context, ForecastHost host)
    {
        if (Device(context, "manhole", "manhole", host.City.Name, [.. host.Manholes.Select(m => m.DeviceId)]) is { } problem)
        {
            return problem;
        }

        string id = context.Request.Query["manhole"].ToString();
        var manhole = host.Manholes.First(m => string.Equals(m.DeviceId, id, StringComparison.Ordinal));
        if (host.Status.State == "disabled")
        {
            return Results.Problem(statusCode: 503, title: "Forecasts off", detail: host.Status.Detail);
        }

        if (!host.Service.Models.Any(m => m.Target == "sewer.level"))
        {
            return Results.Problem(statusCode: 503, title: "No model loaded", detail: $"no sewer model is loaded yet ({host.Status.State}: {host.Status.Source ?? host.Status.Detail})");
        }

        var frame = await host.RecentSewerAsync(manhole, context.RequestAborted);
        var forecast = host.Service.ForecastSewer(id, frame);
        if (forecast.Count == 0)
        {
            return Results.Problem(statusCode: 503, title: "No recent reading", detail: $"no level reading from {id} in the last 5 minutes: a forecast starts from the pipe's current level");
        }

        var origin = frame.TimeAt(frame.Length - 1);
        return Results.Ok(new
        {
            manhole = id,
            name = manhole.Name,
            origin,
            level = frame[Forecasting.SewerColumns.Level(id)][^1],
            pipeDiameter = manhole.PipeDiameter,
            horizons = forecast.Select(h => new { minutes = h.HorizonMinutes, validAt = origin.AddMinutes(h.HorizonMinutes), level = h.Value, lower = h.Lower, upper = h.Upper }),
            meaning = "level in the pipe, metres (the diameter when full); lower and upper are the 10th and 90th percentiles",
        });
    }

    private static async Task<IResult> CrowdingAsync(HttpContext context, ForecastHost host)
    {
        var lines = host.City.SubwayLines;
        if (Device(context, "line", "subway line", host.City.Name, [.. lines.Select(l => l.Id)]) is { } problem)
        {
            return problem;
        }

        var query = context.Request.Query;
        var line = lines.First(l => string.Equals(l.Id, query["line"].ToString(), StringComparison.Ordinal));
        string trainText = query["train"].ToString();
        if (!int.TryParse(trainText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int train) || train < 1 || train > line.TrainCount)
        {
            return Results.Problem(statusCode: 400, title: "Bad train", detail: $"the parameter 'train' must be a train number of line {line.Id}, 1 to {line.TrainCount}; got '{Truncate(trainText)}'");
        }

        var tokyo = TimeSpan.FromHours(9);
        static DateOnly ServiceDate(DateTimeOffset time, TimeSpan tokyo) => DateOnly.FromDateTime(time.ToOffset(tokyo).AddHours(-5).DateTime);
        DateTimeOffset? at = null;
        if (query.TryGetValue("at", out var atText))
        {
            if (!DateTimeOffset.TryParse(atText.ToString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed))
            {
                return Results.Problem(statusCode: 400, title: "Bad at", detail: $"the parameter 'at' must be an ISO 8601 time with its offset (the nowcast's origin), e.g. 2026-11-27T08:30:00+09:00; got '{Truncate(atText.ToString())}'");
            }

            at = parsed;
        }

        var now = TimeProvider.System.GetUtcNow();
        DateOnly date = ServiceDate(at ?? now, tokyo);
        if (query.TryGetValue("date", out var dateText))
        {
            if (!DateOnly.TryParseExact(dateText.ToString(), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out date))
            {
                return Results.Problem(statusCode: 400, title: "Bad date", detail: $"the parameter 'date' must be a service date as yyyy-MM-dd (JST); got '{Truncate(dateText.ToString())}'");
            }

            if (at is { } origin && ServiceDate(origin, tokyo) != date)
            {
                return Results.Problem(statusCode: 400, title: "Bad at", detail: $"the parameter 'at' ({origin:O}) is not in the service day {date:yyyy-MM-dd} (05:00 JST to 05:00 the next day)");
            }
        }

        if (date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            return Results.Problem(statusCode: 400, title: "Bad date", detail: $"the parameter 'date' ({date:yyyy-MM-dd}) is a {date.DayOfWeek}: crowding is forecast for the weekday timetable");
        }

        if (host.Status.State == "disabled")
        {
            return Results.Problem(statusCode: 503, title: "Forecasts off", detail: host.Status.Detail);
        }

        if (host.Service.Crowding is null)
        {
            var status = host.Status;
            return Results.Problem(statusCode: 503, title: "No model loaded", detail: $"no crowding model is loaded yet ({status.State}: {status.Source ?? status.Detail})");
        }

        // The nowcast: the running trip of the service day the origin is in, from the loads the train reported since 05:00.
        var nowcastAt = at ?? (ServiceDate(now, tokyo) == date ? now : (DateTimeOffset?)null);
        IReadOnlyList<(DateTimeOffset, int, double)> observed = [];
        var dayStart = new DateTimeOffset(date.ToDateTime(new TimeOnly(5, 0)), tokyo);
        if (nowcastAt is { } o)
        {
            observed = await host.CarLoadsAsync(line, train, dayStart, o, context.RequestAborted);
        }

        var forecast = host.Service.ForecastCrowding(line.Id, train, date, observed, nowcastAt ?? dayStart);
        if (forecast is null)
        {
            return Results.Problem(statusCode: 503, title: "No forecast for this train", detail: $"the loaded crowding table has no departures of {line.Id} train {train} (trained on another timetable?)");
        }

        static object Load(double loadFactor)
        {
            var (code, name) = Forecasting.Occupancy.Status(loadFactor);
            return new { loadFactor = Math.Round(loadFactor, 1), occupancyStatus = name, occupancyStatusCode = code };
        }

        return Results.Ok(new
        {
            line = line.Id,
            name = line.Name,
            train,
            serviceDate = forecast.ServiceDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            madeFrom = forecast.MadeFrom,
            nowcastOrigin = nowcastAt,
            runningTrip = forecast.RunningTrip,
            scale = forecast.Scale,
            readingsToday = observed.Count,
            cars = forecast.Departures.GroupBy(d => d.Car).OrderBy(g => g.Key).Select(g => new
            {
                car = g.Key,
                device = line.CarDeviceId(train, g.Key),
                capacity = line.CarCapacity(g.Key),
                departures = g.Select(d => new
                {
                    station = d.Station,
                    time = d.Time,
                    trip = d.Trip,
                    forward = d.Forward,
                    dayAhead = Load(d.DayAhead),
                    nowcast = d.Nowcast is { } n ? Load(n) : null,
                }),
            }),
            meaning = "per car, per departure of the weekday timetable: the load factor (乗車率, % of the car's capacity) and its GTFS-Realtime OccupancyStatus; dayAhead is forecast from the weekdays before the model's training, nowcast (the rest of the running trip only) scales it by the loads the train reported today so far",
        });
    }

    /// <summary>Null when the query names exactly one of <paramref name="known"/> in <paramref name="parameter"/>, else the 400 answer saying what is wrong.</summary>
    private static IResult? Device(HttpContext context, string parameter, string what, string city, IReadOnlyList<string> known)
    {
        var query = context.Request.Query;
        if (!query.TryGetValue(parameter, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return Results.Problem(statusCode: 400, title: "Bad request", detail: $"the parameter '{parameter}' is required: a {what} id of the city '{city}', e.g. {(known.Count > 0 ? known[0] : "(the city has none)")}");
        }

        if (values.Count > 1)
        {
            return Results.Problem(statusCode: 400, title: "Bad request", detail: $"give one '{parameter}' parameter (one {what} per request)");
        }

        string id = values.ToString();
        if (!known.Contains(id, StringComparer.Ordinal))
        {
            var list = string.Join(", ", known.Take(8)) + (known.Count > 8 ? ", ..." : "");
            return Results.Problem(statusCode: 400, title: $"Unknown {what}", detail: $"'{Truncate(id)}' is not a {what} of the city '{city}' (its {what}s: {list})");
        }

        return null;
    }

    private static IResult Alerts(ForecastHost host)
    {
        var alerts = host.Alerts;
        return Results.Ok(new
        {
            evaluatedAt = alerts.EvaluatedAt,
            forecastState = host.Status.State,
            alerts = alerts.Alerts.Select(a => new
            {
                kind = "river-forecast",
                gauge = a.Warning.GaugeId,
                threshold = a.Warning.Threshold,
                thresholdName = a.Warning.ThresholdName,
                thresholdLevel = a.Warning.ThresholdLevel,
                probability = a.Warning.Probability,
                minutesAhead = a.Warning.MinutesAhead,
                message = a.Warning.Message,
                since = a.Since,
                lastWarnedAt = a.LastWarnedAt,
                validUntil = a.ValidUntil,
            }),
        });
    }

    private static Dictionary<string, double> Thresholds(GaugeThresholds t) => new(StringComparer.Ordinal)
    {
        ["standby"] = t.Standby,
        ["floodCaution"] = t.FloodCaution,
        ["evacuationJudgement"] = t.EvacuationJudgement,
        ["floodDanger"] = t.FloodDanger,
    };

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
