using IotHub.City;

namespace IotHub.Hub.Forecasts;

/// <summary>
/// <c>/api/v1/forecast/status</c>, <c>/api/v1/forecast/river?gauge=ID</c>, <c>POST /api/v1/forecast/train</c> and <c>/api/v1/alerts</c>:
/// 400 names a bad parameter, 503 says why no forecast can be made yet.
/// </summary>
internal static class ForecastRoutes
{
    private static readonly string[] ThresholdKeys = ["standby", "floodCaution", "evacuationJudgement", "floodDanger"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/forecast/status", Status);
        api.MapGet("/forecast/river", RiverAsync);
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
        var query = context.Request.Query;
        if (!query.TryGetValue("gauge", out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return Results.Problem(statusCode: 400, title: "Bad request", detail: $"the parameter 'gauge' is required: a river gauge id of the city '{host.City.Name}', e.g. {(host.Gauges.Count > 0 ? host.Gauges[0].DeviceId : "gauge-kanda-1")}");
        }

        if (values.Count > 1)
        {
            return Results.Problem(statusCode: 400, title: "Bad request", detail: "give one 'gauge' parameter (one gauge per request)");
        }

        string id = values.ToString();
        var gauge = host.Gauges.FirstOrDefault(g => string.Equals(g.DeviceId, id, StringComparison.Ordinal));
        if (gauge is null)
        {
            var known = string.Join(", ", host.Gauges.Take(8).Select(g => g.DeviceId)) + (host.Gauges.Count > 8 ? ", ..." : "");
            return Results.Problem(statusCode: 400, title: "Unknown gauge", detail: $"'{Truncate(id)}' is not a river gauge of the city '{host.City.Name}' (its gauges: {known})");
        }

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
