namespace IotHub.Simulators;

/// <summary>Shapes over the day (hours, JST) that demand profiles are built from.</summary>
internal static class DailyProfile
{
    /// <summary>A bell centred at <paramref name="centre"/> hours, <paramref name="width"/> hours standard deviation, height 1.</summary>
    public static double Bell(double hour, double centre, double width)
    {
        double z = (hour - centre) / width;
        return Math.Exp(-0.5 * z * z);
    }

    /// <summary>0 before <paramref name="from"/>, 1 after <paramref name="to"/>, smooth in between.</summary>
    public static double Ramp(double hour, double from, double to)
    {
        if (hour <= from)
        {
            return 0;
        }

        if (hour >= to)
        {
            return 1;
        }

        double x = (hour - from) / (to - from);
        return x * x * (3 - (2 * x));
    }

    /// <summary>1 between <paramref name="from"/> and <paramref name="to"/> hours, with one-hour smooth edges.</summary>
    public static double Window(double hour, double from, double to) =>
        Ramp(hour, from - 0.5, from + 0.5) * (1 - Ramp(hour, to - 0.5, to + 0.5));
}
