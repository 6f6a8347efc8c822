using System.Globalization;
using System.Net;
using System.Text;

namespace IotHub.IntegrationTests;

/// <summary>
/// A training that fails in the real hub: the first models (from the simulated demo city) are loaded,
/// then the store is given river history with a reading only every 20 minutes, too few complete rows
/// for the 10-minute model; the forced retraining fails, the status says why, and the old models go on serving.
/// </summary>
public sealed class ForecastTrainingFailureTests
{
    [Fact]
    public async Task ModelsLoaded_RetrainingOnInsufficientHistoryFails_OldModelsServeAndStatusReportsTheFailure()
    {
        await using var hub = await ForecastHub.StartAsync(("MinHistoryDays", "2"));
        using var api = hub.CreateApiClient();
        await ForecastHub.WaitForModelsAsync(api, hub);
        var first = await api.GetJsonAsync("/api/v1/forecast/status");
        string version = Directory.GetDirectories(Path.Combine(hub.DataDirectory, "models"), "v-*").Single();

        // Arrange: 5 days of both gauges every 20 minutes, ending now (2.5 days of readings: enough to train from the store).
        var now = DateTimeOffset.UtcNow;
        var lines = new StringBuilder();
        for (int i = 0; i < 5 * 72; i++)
        {
            long ns = now.AddMinutes(-20 * i).ToUnixTimeMilliseconds() * 1_000_000;
            double level = 1.0 + (0.2 * Math.Sin(i / 10.0));
            lines.Append(CultureInfo.InvariantCulture, $"river,device=gauge-kanda-1 level={level:F3},rain_10min=0 {ns}\n");
            lines.Append(CultureInfo.InvariantCulture, $"river,device=gauge-kanda-2 level={level + 0.5:F3},rain_10min=0 {ns}\n");
        }

        await api.WriteLinesAsync(lines.ToString());

        // Act: a training now.
        using (var train = await api.PostAsync(new Uri("/api/v1/forecast/train", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, train.StatusCode);
        }

        // Assert: the failure in the status, the old models still loaded and serving.
        await Poll.UntilAsync(
            async () => (await api.GetJsonAsync("/api/v1/forecast/status")).GetProperty("lastError").GetString() is not null,
            TimeSpan.FromSeconds(120),
            () => "the training never failed:\n" + hub.Output);
        var status = await api.GetJsonAsync("/api/v1/forecast/status");
        Assert.Equal("ready", status.GetProperty("state").GetString());
        Assert.Equal("the last training failed; the previous models stay loaded", status.GetProperty("detail").GetString());
        Assert.Contains("river-level-010min: only 0 complete training rows", status.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal(first.GetProperty("trainedAt").GetDateTimeOffset(), status.GetProperty("trainedAt").GetDateTimeOffset());
        Assert.Equal(first.GetProperty("models").GetArrayLength(), status.GetProperty("models").GetArrayLength());
        Assert.Equal(version, Directory.GetDirectories(Path.Combine(hub.DataDirectory, "models"), "v-*").Single());
        Assert.Empty(Directory.GetDirectories(Path.Combine(hub.DataDirectory, "models"), "*.tmp"));
        await Poll.UntilAsync(() => Task.FromResult(hub.Output.Contains("Forecasts: training failed; the previous models stay loaded", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), () => "failure not logged:\n" + hub.Output);

        var forecast = await api.GetJsonAsync("/api/v1/forecast/river?gauge=gauge-kanda-2");
        Assert.Equal(5, forecast.GetProperty("horizons").GetArrayLength());
    }
}
