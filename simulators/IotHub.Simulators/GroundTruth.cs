using System.Globalization;
using IotHub.City;

namespace IotHub.Simulators;

/// <summary>
/// Ground truth for forecast evaluation: the noise-free level of every river gauge and the rain
/// falling on its local catchment, per minute, as CSV. The simulation is the one a backfill or a
/// live run with the same (scenario, seed, start) samples, so forecasts made from the hub's stored
/// (noisy) readings can be scored against the true future levels.
/// </summary>
public static class GroundTruth
{
    /// <summary>The CSV header line.</summary>
    public const string Header = "time,device,river,level_m,catchment_rain_mm_h,gauge_rain_mm_h,level_reached";

    /// <summary>Writes one line per gauge per <paramref name="step"/> from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    /// <returns>The number of rows written.</returns>
    public static long WriteRiverLevelsCsv(TextWriter output, CityScenario scenario, int seed, DateTimeOffset start, DateTimeOffset end, TimeSpan step)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentOutOfRangeException.ThrowIfLessThan(step, TimeSpan.FromSeconds(1));
        var simulation = new CitySimulation(scenario, seed, start);
        var gauges = new List<(RiverGauge Gauge, string River)>();
        foreach (var river in scenario.Rivers)
        {
            foreach (var gauge in river.Gauges)
            {
                gauges.Add((gauge, river.Id));
            }
        }

        output.Write(Header);
        output.Write('\n');
        long rows = 0;
        for (var time = start; time < end; time += step)
        {
            simulation.AdvanceTo(time);
            string stamp = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            foreach (var (gauge, river) in gauges)
            {
                double level = simulation.TrueLevel(gauge.DeviceId);
                output.Write(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{stamp},{gauge.DeviceId},{river},{Math.Round(level, 4)},{Math.Round(simulation.RainAt(gauge.CatchmentCentre), 2)},{Math.Round(simulation.RainAt(gauge.Location), 2)},{gauge.Thresholds.LevelReached(level)}\n"));
                rows++;
            }
        }

        return rows;
    }
}
