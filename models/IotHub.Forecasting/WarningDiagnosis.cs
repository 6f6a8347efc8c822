namespace IotHub.Forecasting;

/// <summary>A false alert of the backtest with what happened while it was in force.</summary>
/// <param name="Gauge">Device id of the gauge.</param>
/// <param name="Threshold">1-4 (standby .. flood danger).</param>
/// <param name="Issued">Its first warning.</param>
/// <param name="Shortfall">Threshold - the highest level from its first warning to 120 min after its last, m.</param>
/// <param name="LaterCrossingMinutes">Minutes from its first warning to a crossing in the 6 h after it lapsed, or null.</param>
/// <param name="RainInForce">Catchment rain while it was in force (at most its first 120 min), mm.</param>
/// <param name="Probability">Its first warning's probability.</param>
/// <param name="ForecastRise">At its first warning: the forecast change from now at the horizon of the highest probability, m.</param>
/// <param name="IntervalWidth">At its first warning: that forecast's 10-90 % interval width, m.</param>
public sealed record FalseAlertFacts(string Gauge, int Threshold, DateTimeOffset Issued, double Shortfall, double? LaterCrossingMinutes, double RainInForce, double Probability, double ForecastRise, double IntervalWidth);

/// <summary>A crossing not warned 30 minutes ahead, with what was known 30 minutes before it.</summary>
/// <param name="Gauge">Device id of the gauge.</param>
/// <param name="Threshold">1-4 (standby .. flood danger).</param>
/// <param name="Crossed">When the level reached the threshold.</param>
/// <param name="LeadMinutes">Lead of the alert in force when it came, or null when none was.</param>
/// <param name="RiseLast30">Level rise in the 30 min before the crossing, m.</param>
/// <param name="AboveDryAt30">Level 30 min before the crossing above the gauge's dry level, m.</param>
/// <param name="RainHourBefore30">Catchment rain in the hour up to 30 min before the crossing, mm.</param>
/// <param name="RadarNext30">The radar nowcast issued 30 min before the crossing: catchment rain in the next 30 min, mm.</param>
/// <param name="RainLast30">Catchment rain in the 30 min before the crossing, mm.</param>
/// <param name="UpstreamRiseAt30">30 min before the crossing: upstream flow arriving by the crossing minus what had arrived, as a share of the gauge's flow at flood danger.</param>
/// <param name="Forecast30">The 30-min forecast issued 30 min before: its shortfall below the threshold, m (negative: above).</param>
/// <param name="Probability30">The warning probability 30 min before the crossing.</param>
public sealed record MissedCrossingFacts(string Gauge, int Threshold, DateTimeOffset Crossed, double? LeadMinutes, double RiseLast30, double AboveDryAt30, double RainHourBefore30, double RadarNext30, double RainLast30, double UpstreamRiseAt30, double Forecast30, double Probability30);

/// <summary>Sorts the backtest's false alerts and late or missed crossings into causes, first matching cause wins.</summary>
public static class WarningDiagnosis
{
    /// <summary>Catchment rain below this (mm) counts as none.</summary>
    public const double NoRain = 1.0;

    /// <summary>A peak this close below the threshold (m) is a near miss.</summary>
    public const double NearMiss = 0.1;

    /// <summary>The gauge's noise (m, 1 sigma 0.004): a peak this close is the threshold within the reading's noise.</summary>
    public const double Noise = 0.01;

    /// <summary>The cause of a false alert.</summary>
    public static string Cause(FalseAlertFacts alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.Shortfall <= 0)
        {
            return "threshold reached while in force but not counted (scoring or re-arm bug)";
        }

        if (alert.LaterCrossingMinutes is not null)
        {
            return "threshold reached after the alert lapsed (within 6 h)";
        }

        if (alert.Shortfall < Noise)
        {
            return "peak within the gauge's noise (< 0.01 m) below the threshold";
        }

        if (alert.Shortfall < NearMiss)
        {
            return "near miss: peak 0.01-0.1 m below the threshold";
        }

        return alert.RainInForce < NoRain
            ? "forecast rise, but no rain (< 1 mm) fell on the catchment while in force"
            : "rain fell, but the level peaked >= 0.1 m short";
    }

    /// <summary>True when a false alert's probability was near certain while its interval was narrow against the rise it forecast.</summary>
    public static bool Overconfident(FalseAlertFacts alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert.Probability >= 0.95 && alert.IntervalWidth < 0.25 * Math.Abs(alert.ForecastRise);
    }

    /// <summary>The cause of a crossing not warned 30 minutes ahead.</summary>
    public static string Cause(MissedCrossingFacts crossing)
    {
        ArgumentNullException.ThrowIfNull(crossing);
        if (crossing.AboveDryAt30 < 0.1 && crossing.RainHourBefore30 < NoRain && crossing.RadarNext30 < NoRain && crossing.UpstreamRiseAt30 < 0.05)
        {
            return "no sign 30 min before: river at its dry level, no rain, no radar rain, no upstream rise (a cell born over the catchment)";
        }

        if (crossing.Forecast30 < 0.2)
        {
            return "forecast 30 min before within 0.2 m of the threshold (or above it), probability below the warning's";
        }

        return crossing.RadarNext30 < NoRain && crossing.RainHourBefore30 < NoRain
            ? "rain or rise had begun, the radar nowcast showed no rain to come; forecast >= 0.2 m short"
            : "rain or radar rain shown 30 min before; forecast >= 0.2 m short";
    }

    /// <summary>How many storms the alerts belong to: first warnings more than <paramref name="gapHours"/> apart start another.</summary>
    public static int Storms(IEnumerable<DateTimeOffset> times, double gapHours = 3)
    {
        ArgumentNullException.ThrowIfNull(times);
        int storms = 0;
        DateTimeOffset? last = null;
        foreach (var t in times.Order())
        {
            if (last is null || (t - last.Value).TotalHours > gapHours)
            {
                storms++;
            }

            last = t;
        }

        return storms;
    }
}
