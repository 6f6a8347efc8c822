using IotHub.City;

namespace IotHub.Hub.Forecasts;

/// <summary>Adds the forecast service to the hub from the <c>Forecast</c> configuration section.</summary>
internal static class ForecastWiring
{
    /// <summary>Registers <see cref="ForecastHost"/> (a singleton and a hosted service).</summary>
    /// <exception cref="ArgumentException">A setting is out of range or the city cannot be read.</exception>
    public static void Add(WebApplicationBuilder builder, HubSettings settings, string dataDirectory)
    {
        var options = new ForecastOptions();
        builder.Configuration.GetSection("Forecast").Bind(options);
        options.Validate();
        string cityName = string.IsNullOrEmpty(options.City) ? (settings.Demo ? "demo" : "default") : options.City;
        CityScenario city;
        try
        {
            city = CityScenarioFile.Resolve(cityName);
        }
        catch (Exception ex) when (ex is ScenarioFileException or IOException)
        {
            throw new ArgumentException($"Forecast:City '{cityName}': {ex.Message}", ex);
        }

        string models = string.IsNullOrEmpty(options.ModelsDirectory) ? Path.Combine(dataDirectory, "models") : Path.GetFullPath(options.ModelsDirectory);
        bool simulate = options.SimulateWhenNoHistory ?? settings.Demo;
        builder.Services.AddSingleton(sp => new ForecastHost(
            options,
            city,
            models,
            simulate,
            settings.Seed,
            sp.GetRequiredService<IotHub.Storage.DuckDbStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ForecastHost>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ForecastHost>());
    }
}
