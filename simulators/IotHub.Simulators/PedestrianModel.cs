namespace IotHub.Simulators;

/// <summary>
/// People around the Nishi-Shinjuku poles: an office district, so weekday peaks when offices fill
/// (08:30, flowing away from the station), at lunch and when they empty (18:15, flowing towards
/// it); quiet weekends; rain keeps people indoors.
/// </summary>
internal static class PedestrianModel
{
    /// <summary>People in view as a fraction of the weekday peak.</summary>
    public static double Presence(double hour, bool weekend, double rain)
    {
        double shelter = 1 / (1 + (rain / 8));
        double profile = weekend
            ? 0.03 + (0.3 * DailyProfile.Window(hour, 10, 20)) + (0.15 * DailyProfile.Bell(hour, 14, 2))
            : 0.03 + (0.85 * DailyProfile.Bell(hour, 8.6, 0.5)) + (0.7 * DailyProfile.Bell(hour, 12.4, 0.6))
              + (0.8 * DailyProfile.Bell(hour, 18.3, 0.8)) + (0.3 * DailyProfile.Window(hour, 9, 21));
        return profile / 1.2 * shelter;
    }

    /// <summary>People per minute walking away from and towards the station, as a fraction of the peak presence.</summary>
    public static (double Away, double Towards) Flows(double hour, bool weekend, double rain)
    {
        double shelter = 1 / (1 + (rain / 8));
        if (weekend)
        {
            double both = 0.3 * DailyProfile.Window(hour, 10, 20);
            return (both * (1 + (0.3 * DailyProfile.Bell(hour, 11, 1.5))) * shelter, both * (1 + (0.3 * DailyProfile.Bell(hour, 18, 1.5))) * shelter);
        }

        double daytime = 0.15 * DailyProfile.Window(hour, 7, 22);
        double lunch = 0.35 * DailyProfile.Bell(hour, 12.4, 0.6);
        double away = 1.0 * DailyProfile.Bell(hour, 8.6, 0.5) + lunch + daytime + (0.1 * DailyProfile.Bell(hour, 18.3, 0.8));
        double towards = 0.9 * DailyProfile.Bell(hour, 18.3, 0.8) + lunch + daytime + (0.1 * DailyProfile.Bell(hour, 8.6, 0.5));
        return (away * shelter, towards * shelter);
    }
}
