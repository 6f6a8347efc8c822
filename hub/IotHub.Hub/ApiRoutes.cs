using System.Globalization;
using IotHub.City;
using IotHub.Ingest;
using IotHub.Storage;
using IotHub.Telemetry;

namespace IotHub.Hub;

/// <summary>The HTTP API (<c>/api/v1</c>), the dashboard and the metrics page.</summary>
internal static class ApiRoutes
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/metrics", (IngestMetrics metrics, DuckDbStore store, DeviceRegistry registry) =>
            Results.Text(MetricsText.Render(metrics, store, registry), "text/plain; version=0.0.4"));

        // InfluxDB-compatible writes authenticate themselves (admin or device token).
        app.MapPost("/api/v2/write", (HttpContext context, InfluxWriteHandler handler) => handler.HandleAsync(context, versionOne: false));
        app.MapPost("/write", (HttpContext context, InfluxWriteHandler handler) => handler.HandleAsync(context, versionOne: true));
        app.MapGrpcService<GrpcIngestService>();

        var api = app.MapGroup("/api/v1").AddEndpointFilter<ApiAuth>();
        api.MapGet("/kinds", () => DeviceKinds.All.Select(k => new
        {
            id = k.Id,
            measurement = k.Measurement,
            description = k.Description,
            fields = k.Fields.Select(f => new { name = f.Name, type = f.Type.ToString().ToLowerInvariant(), unit = f.Unit, description = f.Description }),
        }));
        api.MapGet("/devices", ListDevices);
        api.MapPost("/devices", RegisterDevice);
        api.MapPost("/devices/bulk", RegisterDevices);
        api.MapGet("/latest", Latest);
        api.MapGet("/devices/{id}/image", Image);
        api.MapGet("/query", Query);
        Forecasts.ForecastRoutes.Map(api);
        api.MapGet("/stats", (IngestMetrics metrics, DuckDbStore store, DeviceRegistry registry) => new
        {
            pointsStored = store.PointsWritten,
            commits = store.Commits,
            writeQueueDepth = store.QueueDepth,
            series = store.Series.Count,
            devices = registry.Devices.Count,
            devicesConnected = registry.ConnectedCount,
            pointsByListener = metrics.PointsByListener(),
            rejections = metrics.Rejections(),
            duplicateBatches = metrics.DuplicateBatches,
            duplicatePoints = metrics.DuplicatePoints,
        });
    }

    private static IResult ListDevices(DeviceRegistry registry, DuckDbStore store)
    {
        // One snapshot (one read barrier) for every device, not one per device.
        var lastSeenByDevice = store.GetDevicesLastSeen();
        var devices = registry.Devices
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .Select(d => DeviceJson(d, registry, lastSeenByDevice.TryGetValue(d.Id, out var ns) ? ns : null))
            .ToList();
        return Results.Ok(devices);
    }

    private static object DeviceJson(DeviceRecord device, DeviceRegistry registry, long? lastData)
    {
        var lastMessage = registry.LastMessage(device.Id);
        DateTimeOffset? lastSeen = lastMessage;
        if (lastData is { } ns && (lastSeen is null || TimeUnits.ToDateTimeOffset(ns) > lastSeen))
        {
            lastSeen = TimeUnits.ToDateTimeOffset(ns);
        }

        return new
        {
            id = device.Id,
            kind = device.Kind,
            name = device.Name,
            tags = device.Tags,
            connected = registry.IsConnected(device.Id),
            lastSeen,
            thresholds = device.Thresholds,
        };
    }

    private static IResult RegisterDevice(DeviceRegistration? body, DeviceRegistry registry, TimeProvider time)
    {
        if (body is null || string.IsNullOrWhiteSpace(body.Id) || string.IsNullOrWhiteSpace(body.Kind))
        {
            return Results.Problem(statusCode: 400, title: "Bad request", detail: "Send JSON {\"id\": \"...\", \"kind\": \"...\"} (name, tags and token are optional).");
        }

        try
        {
            var token = registry.Register(body.Id, body.Kind, body.Name ?? body.Id, body.Tags ?? [], body.Token, time);
            return Results.Created($"/api/v1/devices/{body.Id}", new { id = body.Id, kind = body.Kind, token });
        }
        catch (ArgumentException ex)
        {
            return Results.Problem(statusCode: 400, title: "Invalid device", detail: ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    /// <summary>Most devices one bulk registration may carry.</summary>
    private const int MaxBulkDevices = 100_000;

    private static IResult RegisterDevices(List<DeviceRegistration>? body, DeviceRegistry registry, TimeProvider time)
    {
        if (body is null || body.Count == 0)
        {
            return Results.Problem(statusCode: 400, title: "Bad request", detail: "Send a JSON array of {\"id\": \"...\", \"kind\": \"...\"} (name, tags and token are optional).");
        }

        if (body.Count > MaxBulkDevices)
        {
            return Results.Problem(statusCode: 413, title: "Too many devices", detail: $"{body.Count} devices exceed the limit of {MaxBulkDevices} per request.");
        }

        var requests = new List<DeviceRegistrationRequest>(body.Count);
        for (var i = 0; i < body.Count; i++)
        {
            var device = body[i];
            if (device is null || string.IsNullOrWhiteSpace(device.Id) || string.IsNullOrWhiteSpace(device.Kind))
            {
                return Results.Problem(statusCode: 400, title: "Invalid device", detail: $"device {i}: \"id\" and \"kind\" are required.");
            }

            requests.Add(new DeviceRegistrationRequest(device.Id, device.Kind, device.Name ?? device.Id, device.Tags ?? [], device.Token));
        }

        try
        {
            var tokens = registry.RegisterMany(requests, time);
            return Results.Ok(requests.Select((r, i) => new { id = r.Id, kind = r.Kind, token = tokens[i] }));
        }
        catch (ArgumentException ex)
        {
            return Results.Problem(statusCode: 400, title: "Invalid device", detail: ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private static IResult Latest(string? device, DeviceRegistry registry, DuckDbStore store)
    {
        if (device is null)
        {
            return Results.Ok(new
            {
                devices = LatestOfAll(registry, store),
            });
        }

        if (!registry.TryGet(device, out var record))
        {
            return Results.Problem(statusCode: 404, title: "Unknown device", detail: $"No device '{device}' is registered.");
        }

        return Results.Ok(LatestJson(record, store.GetLatestForDevice(record.Id)));
    }

    private static List<object> LatestOfAll(DeviceRegistry registry, DuckDbStore store)
    {
        // One snapshot (one read barrier) for every device, not one per device.
        var byDevice = new Dictionary<string, List<LatestValue>>(StringComparer.Ordinal);
        foreach (var latest in store.GetLatest())
        {
            if (latest.Series.Device is { } id)
            {
                (byDevice.TryGetValue(id, out var list) ? list : byDevice[id] = []).Add(latest);
            }
        }

        return registry.Devices.OrderBy(d => d.Id, StringComparer.Ordinal).Select(d => LatestJson(d, byDevice.GetValueOrDefault(d.Id) ?? [])).ToList();
    }

    private static object LatestJson(DeviceRecord device, IReadOnlyList<LatestValue> latestValues)
    {
        DeviceKinds.TryGet(device.Kind, out var kind);
        var fields = new SortedDictionary<string, object>(StringComparer.Ordinal);
        long newest = long.MinValue;
        foreach (var latest in latestValues)
        {
            newest = Math.Max(newest, latest.TimestampNs);
            fields[latest.Series.Field] = new
            {
                value = latest.Value.ToObject(),
                time = TimeUnits.ToDateTimeOffset(latest.TimestampNs),
                unit = kind?.FindField(latest.Series.Field)?.Unit ?? "",
            };
        }

        return new
        {
            device = device.Id,
            kind = device.Kind,
            time = newest == long.MinValue ? (DateTimeOffset?)null : TimeUnits.ToDateTimeOffset(newest),
            fields,
        };
    }

    private static IResult Image(string id, DeviceRegistry registry, LatestImages images)
    {
        if (!registry.TryGet(id, out _))
        {
            return Results.Problem(statusCode: 404, title: "Unknown device", detail: $"No device '{id}' is registered.");
        }

        var image = images.Get(id);
        return image is null
            ? Results.Problem(statusCode: 404, title: "No image", detail: $"Device '{id}' has sent no camera still since the hub started.")
            : Results.File(image.Bytes, image.ContentType, lastModified: image.ReceivedAt);
    }

    private static async Task<IResult> Query(HttpContext context, DuckDbStore store, TimeProvider time)
    {
        try
        {
            var query = QueryParameters.Parse(context.Request.Query, time.GetUtcNow());
            var answer = await store.QueryAsync(query, context.RequestAborted);
            return Results.Ok(new
            {
                series = answer.Select(s => new
                {
                    measurement = s.Series.Measurement,
                    field = s.Series.Field,
                    tags = s.Series.Tags.ToDictionary(t => t.Key, t => t.Value),
                    points = s.Points.Select(p => new object[] { p.TimestampNs, p.Value }),
                }),
            });
        }
        catch (QueryException ex)
        {
            return Results.Problem(statusCode: 400, title: "Bad query", detail: ex.Message);
        }
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
