namespace IotHub.Simulators;

/// <summary>
/// Air temperature, humidity and wind over the city: Tokyo's monthly climate (JMA 1991-2020
/// normals, rounded), a diurnal cycle peaking at 14:00, day-to-day anomalies from the seed,
/// and cooling, saturation and gusts under rain.
/// </summary>
internal sealed class WeatherModel(int seed)
{
    // Monthly mean temperature, °C, and relative humidity, %RH, January to December.
    private static readonly double[] MonthlyTemperature = [5.4, 6.1, 9.4, 14.3, 18.8, 21.9, 25.7, 26.9, 23.3, 18.0, 12.5, 7.7];
    private static readonly double[] MonthlyHumidity = [51, 52, 57, 62, 68, 75, 76, 74, 75, 71, 64, 56];

    /// <summary>Temperature, °C, at <paramref name="time"/>, with <paramref name="rain"/> mm/h falling.</summary>
    public double Temperature(DateTimeOffset time, double rain)
    {
        double hour = TokyoTime.HourOfDay(time);
        double mean = Seasonal(MonthlyTemperature, time) + DailyAnomaly(time, NoiseStream.DailyTemperature, 2.0);
        double diurnal = 4.0 * Math.Cos(2 * Math.PI * (hour - 14.0) / 24.0);

        // Rain-cooled downdraughts: a few degrees under a heavy cell.
        return mean + diurnal - Math.Min(5.0, rain / 12.0);
    }

    /// <summary>Relative humidity, %RH.</summary>
    public double Humidity(DateTimeOffset time, double rain)
    {
        double hour = TokyoTime.HourOfDay(time);
        double diurnal = -12.0 * Math.Cos(2 * Math.PI * (hour - 14.0) / 24.0);
        double dry = Seasonal(MonthlyHumidity, time) + diurnal - (2.0 * DailyAnomaly(time, NoiseStream.DailyTemperature, 2.0));
        double wet = Math.Min(1.0, rain / 5.0);
        return Math.Clamp((dry * (1 - wet)) + (97 * wet), 15, 100);
    }

    /// <summary>Mean wind speed, m/s.</summary>
    public double WindSpeed(DateTimeOffset time, double rain)
    {
        double hour = TokyoTime.HourOfDay(time);
        double seaBreeze = 1.0 * DailyProfile.Bell(hour, 14.5, 3.0);
        double mean = 2.8 + seaBreeze + DailyAnomaly(time, NoiseStream.DailyWind, 1.0);
        return Math.Max(0.3, mean + Math.Min(8.0, rain / 10.0));
    }

    // Interpolates monthly values to the day (values sit at mid-month).
    private static double Seasonal(double[] monthly, DateTimeOffset time)
    {
        double month = (TokyoTime.DayOfYear(time) - 15.0) / 30.44;
        int low = (int)Math.Floor(month);
        double fraction = month - low;
        double a = monthly[((low % 12) + 12) % 12];
        double b = monthly[(((low + 1) % 12) + 12) % 12];
        return a + ((b - a) * fraction);
    }

    // A smooth anomaly: one Gaussian draw per local day, interpolated across the day.
    private double DailyAnomaly(DateTimeOffset time, int stream, double scale)
    {
        long day = TokyoTime.DayNumber(time);
        double fraction = TokyoTime.HourOfDay(time) / 24.0;
        double today = SensorNoise.Gaussian(seed, stream, 0, day);
        double tomorrow = SensorNoise.Gaussian(seed, stream, 0, day + 1);
        return scale * (today + ((tomorrow - today) * fraction));
    }
}
