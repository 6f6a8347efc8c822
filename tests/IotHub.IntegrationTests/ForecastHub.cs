namespace IotHub.IntegrationTests;

/// <summary>A hub that trains the demo city's models in the background from a short simulation (seconds, small settings).</summary>
internal static class ForecastHub
{
    /// <summary>Starts it; <paramref name="settings"/> adds or overrides <c>Forecast</c> settings (name without the prefix).</summary>
    public static Task<HubProcess> StartAsync(params (string Name, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["IOTHUB_Forecast__City"] = "demo",
            ["IOTHUB_Forecast__SimulateWhenNoHistory"] = "true",
            ["IOTHUB_Forecast__SimulatedDays"] = "20",
            ["IOTHUB_Forecast__Iterations"] = "60",
        };
        foreach (var (name, value) in settings)
        {
            environment["IOTHUB_Forecast__" + name] = value;
        }

        return HubProcess.StartAsync("serve", environment: environment);
    }

    /// <summary>Waits (two minutes at most) until the hub's first models are loaded.</summary>
    public static Task WaitForModelsAsync(HttpClient api, HubProcess hub) =>
        WaitForStateAsync(api, hub, "ready", TimeSpan.FromSeconds(120));

    /// <summary>Waits (at most <paramref name="timeout"/>) until the forecast status reports <paramref name="state"/>.</summary>
    public static Task WaitForStateAsync(HttpClient api, HubProcess hub, string state, TimeSpan timeout) =>
        Poll.UntilAsync(
            async () => (await api.GetJsonAsync("/api/v1/forecast/status")).GetProperty("state").GetString() == state,
            timeout,
            () => $"forecast state never '{state}':\n" + hub.Output);
}
