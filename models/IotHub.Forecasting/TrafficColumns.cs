namespace IotHub.Forecasting;

/// <summary>Column names of detector history in a <see cref="SeriesFrame"/> (5-minute rows of 1-minute report means).</summary>
public static class TrafficColumns
{
    /// <summary>Row spacing of traffic frames.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    /// <summary>Vehicles per minute in the lane (mean of the interval's 1-minute counts).</summary>
    public static string Volume(string detectorId) => detectorId + ".volume";

    /// <summary>Mean speed, km/h.</summary>
    public static string Speed(string detectorId) => detectorId + ".speed";

    /// <summary>Queue length upstream of the stop line, metres.</summary>
    public static string Queue(string detectorId) => detectorId + ".queue_length";
}
