namespace IotHub.Forecasting;

/// <summary>Column names of river-gauge history in a <see cref="SeriesFrame"/> (10-minute rows).</summary>
public static class RiverColumns
{
    /// <summary>The step river frames use: gauges report every 10 minutes (DOMAIN.md).</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(10);

    /// <summary>Water level at the gauge, metres (the <c>river</c> measurement's <c>level</c> field).</summary>
    public static string Level(string gaugeId) => gaugeId + ".level";

    /// <summary>Rain in the 10 minutes before the row, mm (the <c>rain_10min</c> field).</summary>
    public static string Rain10Min(string gaugeId) => gaugeId + ".rain_10min";

    /// <summary>
    /// The radar rain nowcast over the gauge's local catchment for the 10 minutes ending 10 x (<paramref name="interval"/> + 1)
    /// minutes after the row, mm (the <c>rain_nowcast_10</c> ... <c>rain_nowcast_60</c> fields, <see cref="IotHub.City.DeviceKinds.RainNowcastFields"/>).
    /// </summary>
    public static string RainNowcast(string gaugeId, int interval) => gaugeId + "." + IotHub.City.DeviceKinds.RainNowcastFields[interval];

    /// <summary>Intervals of 10 minutes the rain nowcast covers (60 minutes).</summary>
    public static int RainNowcastIntervals => IotHub.City.DeviceKinds.RainNowcastFields.Count;
}
