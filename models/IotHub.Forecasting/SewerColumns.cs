namespace IotHub.Forecasting;

/// <summary>
/// Column names of sewer history in a <see cref="SeriesFrame"/> (5-minute rows): each manhole's
/// level and surcharge flag, and the rain gauges' 10-minute rain (<see cref="RiverColumns.Rain10Min"/>).
/// </summary>
public static class SewerColumns
{
    /// <summary>The step sewer frames use: covers report every 5 minutes (DOMAIN.md).</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Water level in the pipe, metres (the <c>manhole</c> measurement's <c>level</c> field); while the
    /// pipe is surcharged the cover reports no level and the frame holds the pipe's diameter (full).
    /// </summary>
    public static string Level(string manholeId) => manholeId + ".level";

    /// <summary>1 while the pipe is surcharged, else 0 (the <c>surcharged</c> field).</summary>
    public static string Surcharged(string manholeId) => manholeId + ".surcharged";
}
