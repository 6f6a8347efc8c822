using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using IotHub.City;
using IotHub.Forecasting;
using Microsoft.Playwright;

namespace IotHub.IntegrationTests;

/// <summary>
/// The hub's forecast service end to end: the real hub trains river models in the background
/// (from the simulated demo city, small settings so it takes seconds), serves forecasts from the
/// readings in its store, and raises a forecast alert.
/// </summary>
public sealed class ForecastServingTests
{
    [Fact]
    public async Task DemoCityModels_StormReadingsWritten_ForecastServedAndAlertRaised()
    {
        await using var hub = await ForecastHub.StartAsync(("AlertInterval", "00:00:00.500"));
        using var api = hub.CreateApiClient();

        // Before the first model: 503 with the reason, or (on a fast machine) already served.
        using (var early = await api.GetAsync(new Uri("/api/v1/forecast/river?gauge=gauge-kanda-2", UriKind.Relative)))
        {
            if (early.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
                Assert.Contains("no river model is loaded yet", await early.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        await ForecastHub.WaitForModelsAsync(api, hub);
        var status = await api.GetJsonAsync("/api/v1/forecast/status");
        // 5 river level and 5 river warning models, sewer level 10 and 30 minutes ahead, volume, speed and queue 15, 30 and 60 minutes ahead for the detectors, and day-ahead crowding.
        Assert.Equal(22, status.GetProperty("models").GetArrayLength());
        Assert.Contains("the simulated city", status.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Contains("Forecasts: training", hub.Output, StringComparison.Ordinal);

        // A storm over the demo city, simulated here; the same models (the hub's files) pick an origin that warns.
        var storm = new StormCell(TimeSpan.FromHours(3), TimeSpan.FromMinutes(75), new GeoPoint(35.6980, 139.6050), 14, 0.5, 85, 3.5);
        var city = CityScenario.Demo.WithWeather([storm], randomStormsPerDay: 0);
        var history = ServingTraining.SimulateRivers(city, seed: 3, new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), days: 1);
        var service = new ForecastService(CityScenario.Demo);
        Assert.Equal(22, service.Load(Directory.GetDirectories(Path.Combine(hub.DataDirectory, "models"), "v-*").Single()));
        int rows = ServingTraining.RiverHistoryRows;
        var (origin, expected) = Enumerable.Range(rows - 1, 60)
            .Select(i => (Origin: i, Warning: service.RiverWarnings(history.Slice(i - rows + 1, rows)).Where(w => w.Probability >= 0.7).MaxBy(w => w.Probability)))
            .First(x => x.Warning is not null);

        // Act: the 3 hours up to that origin, written as gauge readings ending now.
        var now = DateTimeOffset.UtcNow;
        var lines = new StringBuilder();
        foreach (var gauge in CityScenario.Demo.Rivers.SelectMany(r => r.Gauges))
        {
            for (int i = origin - rows + 1; i <= origin; i++)
            {
                long ns = (now - (RiverColumns.Step * (origin - i))).ToUnixTimeMilliseconds() * 1_000_000;
                lines.Append(CultureInfo.InvariantCulture, $"river,device={gauge.DeviceId} level={history[RiverColumns.Level(gauge.DeviceId)][i]},rain_10min={history[RiverColumns.Rain10Min(gauge.DeviceId)][i]} {ns}\n");
            }
        }

        await api.WriteLinesAsync(lines.ToString());

        // Assert: the alert, from the hub's own reading of its store.
        JsonElement alert = default;
        await Poll.UntilAsync(
            async () =>
            {
                var alerts = (await api.GetJsonAsync("/api/v1/alerts")).GetProperty("alerts").EnumerateArray().ToList();
                alert = alerts.FirstOrDefault(a => a.GetProperty("gauge").GetString() == expected!.GaugeId && a.GetProperty("threshold").GetInt32() == expected.Threshold);
                return alert.ValueKind == JsonValueKind.Object;
            },
            TimeSpan.FromSeconds(30),
            () => $"no alert for {expected!.Message}:\n" + hub.Output);
        Assert.Equal(expected!.Message, alert.GetProperty("message").GetString());
        Assert.Equal(alert.GetProperty("lastWarnedAt").GetDateTimeOffset() + TimeSpan.FromMinutes(120), alert.GetProperty("validUntil").GetDateTimeOffset());
        Assert.Contains($"will reach its {expected.ThresholdName} level", alert.GetProperty("message").GetString(), StringComparison.Ordinal);
        await Poll.UntilAsync(() => Task.FromResult(hub.Output.Contains("Forecast alert: " + expected.Message, StringComparison.Ordinal)), TimeSpan.FromSeconds(10), () => "alert not logged:\n" + hub.Output);

        var forecast = await api.GetJsonAsync($"/api/v1/forecast/river?gauge={expected.GaugeId}");
        Assert.Equal(history[RiverColumns.Level(expected.GaugeId)][origin], forecast.GetProperty("level").GetDouble(), 6);
        var horizons = forecast.GetProperty("horizons").EnumerateArray().ToList();
        Assert.Equal([10, 30, 60, 90, 120], horizons.Select(h => h.GetProperty("minutes").GetInt32()));
        Assert.All(horizons, h => Assert.True(h.GetProperty("lower").GetDouble() < h.GetProperty("upper").GetDouble()));
        Assert.Contains(horizons, h => h.GetProperty("probabilities").GetProperty(ThresholdKey(expected.Threshold)).GetDouble() >= 0.5);
        Assert.Equal(rows, forecast.GetProperty("observed").GetArrayLength());

        // The dashboard shows the alert and draws the gauge's forecast with its band.
        await api.RegisterDeviceAsync(expected.GaugeId, "river-gauge");
        using (var playwright = await Playwright.CreateAsync())
        {
            await using var browser = await HeadlessChromium.LaunchAsync(playwright);
            var page = await browser.NewPageAsync();
            await page.GotoAsync(hub.DashboardUrl);
            // The gauge may have an alert per threshold: the one for this threshold, by its text.
            var shown = page.Locator($"#alerts .alert[data-alert='{expected.GaugeId}']").Filter(new LocatorFilterOptions { HasText = expected.Message });
            await shown.First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            var card = page.Locator($"section[data-kind='river-gauge'] [data-device='{expected.GaugeId}']");
            await card.Locator("svg[data-forecast='river'] path[data-series='forecast']").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            Assert.Contains(expected.Message, await shown.First.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(1, await card.Locator("path[data-series='interval']").CountAsync());
            Assert.Equal("ready", await page.Locator("#s-forecast").InnerTextAsync());
        }

        // Detectors: models loaded, but a forecast needs a week of the detector's own history, which the store lacks.
        using (var detector = await api.GetAsync(new Uri("/api/v1/forecast/detector?detector=det-koshu-hatsudai-l1&target=volume", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, detector.StatusCode);
            Assert.Contains("the store holds 0.0 days of det-koshu-hatsudai-l1", await detector.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // With 8 days of a detector's (simulated) 5-minute means in the store, its forecast is served.
        var traffic = ServingTraining.SimulateTraffic(CityScenario.Demo, seed: 5, new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), days: 9);
        var lastRow = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 300 * 300);
        int trafficRows = ServingTraining.TrafficHistoryRows;
        var trafficLines = new List<string>();
        for (int i = 0; i < trafficRows; i++)
        {
            // A row holds the means of the 5 minutes before it: the reading goes in the middle of them.
            long ns = (lastRow - (TrafficColumns.Step * (trafficRows - 1 - i)) - TimeSpan.FromSeconds(150)).ToUnixTimeMilliseconds() * 1_000_000;
            const string id = "det-koshu-hatsudai-l1";
            trafficLines.Add(string.Create(CultureInfo.InvariantCulture, $"traffic,device={id} volume={traffic[TrafficColumns.Volume(id)][i]},speed={traffic[TrafficColumns.Speed(id)][i]},queue_length={traffic[TrafficColumns.Queue(id)][i]} {ns}"));
        }

        foreach (var chunk in trafficLines.Chunk(2000))
        {
            using var content = new StringContent(string.Join('\n', chunk), Encoding.UTF8, "text/plain");
            using var write = await api.PostAsync(new Uri("/api/v2/write?bucket=b", UriKind.Relative), content);
            Assert.True(write.IsSuccessStatusCode, await write.Content.ReadAsStringAsync());
        }

        var detectorForecast = await api.GetJsonAsync("/api/v1/forecast/detector?detector=det-koshu-hatsudai-l1");
        foreach (string target in new[] { "volume", "speed", "queue_length" })
        {
            var targetHorizons = detectorForecast.GetProperty("targets").GetProperty(target).GetProperty("horizons").EnumerateArray().ToList();
            Assert.Equal([15, 30, 60], targetHorizons.Select(h => h.GetProperty("minutes").GetInt32()));
            Assert.All(targetHorizons, h => Assert.True(h.GetProperty("lower").GetDouble() < h.GetProperty("upper").GetDouble() && double.IsFinite(h.GetProperty("value").GetDouble())));
        }

        // Sewers: the last hour of a manhole's readings (simulated) gives its 10- and 30-minute forecast.
        var sewer = ServingTraining.SimulateSewers(city, seed: 3, new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), days: 1, manholesPerDistrict: 2);
        const string manhole = "manhole-shinjuku-1";
        int sewerRows = ServingTraining.SewerHistoryRows, sewerOrigin = 40;
        var sewerNow = DateTimeOffset.UtcNow;
        var sewerLines = Enumerable.Range(sewerOrigin - sewerRows + 1, sewerRows).Select(i =>
        {
            long ns = (sewerNow - (SewerColumns.Step * (sewerOrigin - i))).ToUnixTimeMilliseconds() * 1_000_000;
            bool full = sewer[SewerColumns.Surcharged(manhole)][i] == 1;
            return string.Create(CultureInfo.InvariantCulture, $"sewer,device={manhole} {(full ? "" : $"level={sewer[SewerColumns.Level(manhole)][i]},")}surcharged={(full ? "true" : "false")} {ns}");
        });
        await api.WriteLinesAsync(string.Join('\n', sewerLines));

        var sewerForecast = await api.GetJsonAsync($"/api/v1/forecast/sewer?manhole={manhole}");
        Assert.Equal(sewer[SewerColumns.Level(manhole)][sewerOrigin], sewerForecast.GetProperty("level").GetDouble(), 6);
        Assert.Equal([10, 30], sewerForecast.GetProperty("horizons").EnumerateArray().Select(h => h.GetProperty("minutes").GetInt32()));
        Assert.All(sewerForecast.GetProperty("horizons").EnumerateArray(), h => Assert.InRange(h.GetProperty("level").GetDouble(), 0, 1.2));

        // Retrain on request: forecasts keep being served while it runs, and the new models replace the old without a restart.
        string firstTraining = status.GetProperty("trainedAt").GetString()!;
        using (var train = await api.PostAsync(new Uri("/api/v1/forecast/train", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, train.StatusCode);
        }

        using (var during = await api.GetAsync(new Uri($"/api/v1/forecast/river?gauge={expected.GaugeId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        }

        await Poll.UntilAsync(
            async () => (await api.GetJsonAsync("/api/v1/forecast/status")) is var s && s.GetProperty("state").GetString() == "ready" && s.GetProperty("trainedAt").GetString() != firstTraining,
            TimeSpan.FromSeconds(120),
            () => "no second training:\n" + hub.Output);
        Assert.Single(Directory.GetDirectories(Path.Combine(hub.DataDirectory, "models"), "v-*"));
        var after = await api.GetJsonAsync($"/api/v1/forecast/river?gauge={expected.GaugeId}");
        Assert.Equal(5, after.GetProperty("horizons").GetArrayLength());
    }

    [Fact]
    public async Task ServeHubWithoutHistory_Forecast503SaysWhyAndBadParameters400()
    {
        await using var hub = await HubProcess.StartAsync("serve");
        using var api = hub.CreateApiClient();
        await ForecastHub.WaitForStateAsync(api, hub, "waiting-for-history", TimeSpan.FromSeconds(30));
        var status = await api.GetJsonAsync("/api/v1/forecast/status");
        string gauge = status.GetProperty("gauges")[0].GetString()!;
        string detector = status.GetProperty("detectors")[0].GetString()!;

        using var unavailable = await api.GetAsync(new Uri($"/api/v1/forecast/river?gauge={gauge}", UriKind.Relative));
        using var missing = await api.GetAsync(new Uri("/api/v1/forecast/river", UriKind.Relative));
        using var unknown = await api.GetAsync(new Uri("/api/v1/forecast/river?gauge=no-such-gauge", UriKind.Relative));
        using var twice = await api.GetAsync(new Uri($"/api/v1/forecast/river?gauge={gauge}&gauge={gauge}", UriKind.Relative));
        using var badTarget = await api.GetAsync(new Uri($"/api/v1/forecast/detector?detector={detector}&target=flow", UriKind.Relative));
        using var unknownDetector = await api.GetAsync(new Uri("/api/v1/forecast/detector?detector=det-nope-l1", UriKind.Relative));
        using var noDetectorModel = await api.GetAsync(new Uri($"/api/v1/forecast/detector?detector={detector}", UriKind.Relative));
        var alerts = await api.GetJsonAsync("/api/v1/alerts");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Contains("training starts once it holds 7", await unavailable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("the parameter 'gauge' is required", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("'no-such-gauge' is not a river gauge", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badTarget.StatusCode);
        Assert.Contains("target 'flow' is not one of volume, speed, queue_length", await badTarget.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknownDetector.StatusCode);
        Assert.Contains("'det-nope-l1' is not a traffic detector", await unknownDetector.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, noDetectorModel.StatusCode);
        Assert.Contains("no detector model is loaded yet", await noDetectorModel.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(alerts.GetProperty("alerts").EnumerateArray());
    }

    private static string ThresholdKey(int threshold) => threshold switch
    {
        1 => "standby",
        2 => "floodCaution",
        3 => "evacuationJudgement",
        _ => "floodDanger",
    };
}
