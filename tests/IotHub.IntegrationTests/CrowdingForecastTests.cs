using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace IotHub.IntegrationTests;

/// <summary>
/// Crowding served by the real hub: it trains the day-ahead model and table of the demo city's
/// weekday timetable (simulated, small settings), answers per car and departure with the GTFS-Realtime
/// occupancy status, and nowcasts the rest of a running trip from car readings written to its store.
/// </summary>
public sealed class CrowdingForecastTests
{
    private static readonly TimeSpan Tokyo = TimeSpan.FromHours(9);

    [Fact]
    public async Task DemoCityHub_CarReadingsWritten_DayAheadPerCarAndNowcastOfTheRunningTrip()
    {
        await using var hub = await ForecastHub.StartAsync();
        using var api = hub.CreateApiClient();
        await ForecastHub.WaitForModelsAsync(api, hub);
        var status = await api.GetJsonAsync("/api/v1/forecast/status");
        Assert.Contains(status.GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == "crowding-car-load-day-ahead");
        Assert.Contains("crowding from the simulated city", status.GetProperty("source").GetString(), StringComparison.Ordinal);

        // The last weekday before today, 08:30 JST: a morning trip is under way.
        var day = DateTimeOffset.UtcNow.ToOffset(Tokyo).Date.AddDays(-1);
        while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            day = day.AddDays(-1);
        }

        var at = new DateTimeOffset(day, Tokyo).AddHours(8.5);
        string date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string atText = Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture));

        // Day ahead only: no readings yet.
        var before = await api.GetJsonAsync($"/api/v1/forecast/crowding?line=shinjuku&train=1&date={date}&at={atText}");
        var cars = before.GetProperty("cars").EnumerateArray().ToList();
        Assert.Equal(8, cars.Count);
        Assert.Equal(JsonValueKind.Null, before.GetProperty("runningTrip").ValueKind);
        var departures = cars[0].GetProperty("departures").EnumerateArray().ToList();
        Assert.True(departures.Count > 50, $"{departures.Count} departures of car 1");
        Assert.All(departures, d => Assert.Equal(JsonValueKind.Null, d.GetProperty("nowcast").ValueKind));
        Assert.Contains(departures, d => d.GetProperty("dayAhead").GetProperty("occupancyStatus").GetString() == "STANDING_ROOM_ONLY");
        var rush = departures.Where(d => d.GetProperty("time").GetDateTimeOffset() is var t && t >= at.AddHours(-1) && t <= at).ToList();
        Assert.Contains(rush, d => d.GetProperty("dayAhead").GetProperty("loadFactor").GetDouble() > 50);

        // Act: every car reports 20% more than forecast at its departures in the hour before 08:30.
        var lines = new StringBuilder();
        foreach (var car in cars)
        {
            string device = car.GetProperty("device").GetString()!;
            foreach (var d in car.GetProperty("departures").EnumerateArray())
            {
                var time = d.GetProperty("time").GetDateTimeOffset();
                if (time > at.AddHours(-1) && time < at)
                {
                    double load = d.GetProperty("dayAhead").GetProperty("loadFactor").GetDouble() * 1.2;
                    long ns = time.AddSeconds(20).ToUnixTimeMilliseconds() * 1_000_000;
                    lines.Append(CultureInfo.InvariantCulture, $"car_load,device={device},line=shinjuku load_factor={load:F2} {ns}\n");
                }
            }
        }

        await api.WriteLinesAsync(lines.ToString());

        // Assert: the running trip's remaining departures are nowcast 20% above the day ahead; the rest of the day is not.
        JsonElement after = default;
        await Poll.UntilAsync(
            async () =>
            {
                after = await api.GetJsonAsync($"/api/v1/forecast/crowding?line=shinjuku&train=1&at={atText}");
                return after.GetProperty("runningTrip").ValueKind == JsonValueKind.Number;
            },
            TimeSpan.FromSeconds(20),
            () => "no running trip:\n" + hub.Output);
        Assert.Equal(date, after.GetProperty("serviceDate").GetString());
        Assert.Equal(1.2, after.GetProperty("scale").GetDouble(), 2);
        int trip = after.GetProperty("runningTrip").GetInt32();
        int nowcast = 0;
        foreach (var d in after.GetProperty("cars").EnumerateArray().SelectMany(c => c.GetProperty("departures").EnumerateArray()))
        {
            bool ahead = d.GetProperty("trip").GetInt32() == trip && d.GetProperty("time").GetDateTimeOffset() > at;
            Assert.Equal(ahead, d.GetProperty("nowcast").ValueKind == JsonValueKind.Object);
            if (ahead)
            {
                nowcast++;
                double expected = d.GetProperty("dayAhead").GetProperty("loadFactor").GetDouble() * after.GetProperty("scale").GetDouble();
                Assert.InRange(d.GetProperty("nowcast").GetProperty("loadFactor").GetDouble(), expected - 0.2, expected + 0.2);
            }
        }

        Assert.True(nowcast > 0, "no departure left on the running trip");

        // Bad parameters: 400 naming the parameter.
        await AssertProblemAsync(api, "/api/v1/forecast/crowding?train=1", HttpStatusCode.BadRequest, "the parameter 'line' is required");
        await AssertProblemAsync(api, "/api/v1/forecast/crowding?line=ginza&train=1", HttpStatusCode.BadRequest, "'ginza' is not a subway line");
        await AssertProblemAsync(api, "/api/v1/forecast/crowding?line=shinjuku&train=2", HttpStatusCode.BadRequest, "the parameter 'train' must be a train number of line shinjuku, 1 to 1");
        await AssertProblemAsync(api, "/api/v1/forecast/crowding?line=shinjuku&train=1&date=27-11-2026", HttpStatusCode.BadRequest, "the parameter 'date' must be a service date");
        await AssertProblemAsync(api, "/api/v1/forecast/crowding?line=shinjuku&train=1&date=2026-11-28", HttpStatusCode.BadRequest, "is a Saturday");
        await AssertProblemAsync(api, "/api/v1/forecast/crowding?line=shinjuku&train=1&at=soon", HttpStatusCode.BadRequest, "the parameter 'at' must be an ISO 8601 time");
    }

    [Fact]
    public async Task ServeHubWithoutSimulation_Crowding503SaysWhy()
    {
        await using var hub = await HubProcess.StartAsync("serve");
        using var api = hub.CreateApiClient();
        await ForecastHub.WaitForStateAsync(api, hub, "waiting-for-history", TimeSpan.FromSeconds(30));

        await AssertProblemAsync(api, "/api/v1/forecast/crowding?line=shinjuku&train=1&date=2026-11-27", HttpStatusCode.ServiceUnavailable, "no crowding model is loaded yet");
    }

    private static async Task AssertProblemAsync(HttpClient api, string path, HttpStatusCode expected, string detail)
    {
        using var response = await api.GetAsync(new Uri(path, UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Contains(detail, body, StringComparison.Ordinal);
    }
}
