namespace IotHub.Simulators;

/// <summary>Local time in Tokyo (JST, UTC+9, no daylight saving), which every daily profile follows.</summary>
internal static class TokyoTime
{
    private static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static DateTimeOffset Local(DateTimeOffset time) => time.ToOffset(Offset);

    /// <summary>Hours since local midnight, 0 to 24.</summary>
    public static double HourOfDay(DateTimeOffset time) => Local(time).TimeOfDay.TotalHours;

    /// <summary>Saturday or Sunday in Tokyo. National holidays are not modelled yet.</summary>
    public static bool IsWeekend(DateTimeOffset time)
    {
        var day = Local(time).DayOfWeek;
        return day is DayOfWeek.Saturday or DayOfWeek.Sunday;
    }

    /// <summary>Local calendar day as a number (days since 0001-01-01), for per-day variation.</summary>
    public static long DayNumber(DateTimeOffset time) => Local(time).Date.Ticks / TimeSpan.TicksPerDay;

    /// <summary>Day of the year, 1 to 366.</summary>
    public static int DayOfYear(DateTimeOffset time) => Local(time).DayOfYear;
}
