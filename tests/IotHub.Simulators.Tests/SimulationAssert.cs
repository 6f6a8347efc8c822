using IotHub.City;

namespace IotHub.Simulators.Tests;

/// <summary>Helpers shared by the simulation tests.</summary>
internal static class SimulationAssert
{
    public static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>Monday 14 July 2025 at <paramref name="hour"/>:00 JST (a weekday that is not a holiday).</summary>
    public static DateTimeOffset Weekday(int hour) => new(2025, 7, 14, hour, 0, 0, Jst);

    /// <summary>Saturday 19 July 2025 at <paramref name="hour"/>:00 JST.</summary>
    public static DateTimeOffset Saturday(int hour) => new(2025, 7, 19, hour, 0, 0, Jst);

    public static object Field(CitySimulation simulation, string deviceId, string field)
    {
        foreach (var reading in simulation.Read(deviceId))
        {
            if (reading.Key == field)
            {
                return reading.Value;
            }
        }

        throw new KeyNotFoundException($"{deviceId} did not report {field}.");
    }

    public static double Level(CitySimulation simulation, string gaugeId) => (double)Field(simulation, gaugeId, "level");

    /// <summary>The scenario with only this storm, no random ones.</summary>
    public static CityScenario WithOnly(CityScenario scenario, params StormCell[] storms) => scenario.WithWeather(storms, 0);

    public static string Describe(IReadOnlyList<KeyValuePair<string, object>> readings) =>
        string.Join(", ", readings.Select(r => $"{r.Key}={r.Value}"));
}
