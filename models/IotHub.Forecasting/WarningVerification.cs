namespace IotHub.Forecasting;

/// <summary>How the backtest forms alerts from the forecast warnings of one threshold.</summary>
public enum AlertRule
{
    /// <summary>
    /// Event-based, as flood warning services verify warnings (NWS Instruction 10-1601, "Verification Procedures", flash flood
    /// warnings: a warning is verified when an event occurs in its valid time, false otherwise; FAR = unverified warnings / all
    /// warnings; lead time = event time - issue time of the warning in force). A warning is valid for 120 minutes (the forecast's
    /// reach); a forecast that still warns while it is in force renews it rather than issuing another. So an alert runs from its
    /// first warning until the crossing (a hit) or until 120 minutes after its last warning (false). Warnings are raised only while
    /// the threshold is armed: after a crossing, not until the level has fallen 0.1 m below it (one event per threshold episode).
    /// </summary>
    EventBased,

    /// <summary>
    /// The definition used until this round: warnings at most 30 minutes apart form one alert (a warning 40 minutes after the last,
    /// while that one's 120 minutes still run, is another alert), warnings are raised whenever the level is below the threshold
    /// (also just after a crossing, before re-arming), and an alert is true when an armed crossing comes before its end or within
    /// 120 minutes of its last warning.
    /// </summary>
    Legacy,
}

/// <summary>One alert of the event-based rule: rows of its first and last warning, and of the crossing that verified it (-1: false).</summary>
/// <param name="Start">Row of its first warning.</param>
/// <param name="LastWarning">Row of its last warning (it stays valid <see cref="WarningVerification.ValidRows"/> rows after).</param>
/// <param name="Crossing">Row of the crossing that came while it was in force, or -1 when none did (a false alert).</param>
public readonly record struct AlertSpan(int Start, int LastWarning, int Crossing);

/// <summary>Scores forecast warnings of one threshold against the threshold's actual crossings.</summary>
public static class WarningVerification
{
    /// <summary>A threshold is crossed again only after the level fell this far below it (DOMAIN.md: alerts must not flap).</summary>
    public const double RearmMargin = 0.10;

    /// <summary>How long a warning is valid, in 10-minute rows: the longest horizon it looks at (120 minutes).</summary>
    public const int ValidRows = 12;

    /// <summary>Lead a crossing needs to count as warned in time (acceptance 1c), in minutes.</summary>
    public const double RequiredLeadMinutes = 30;

    /// <summary>
    /// Scores rows [<paramref name="from"/>, <paramref name="to"/>) of a 10-minute <paramref name="level"/> series against
    /// <paramref name="threshold"/>: a warning is raised at row i when <paramref name="probability"/>(i) is at least
    /// <paramref name="warnAt"/> and the threshold is armed (<see cref="AlertRule.Legacy"/>: when the level is below it).
    /// </summary>
    public static CrossingScores Score(double[] level, Func<int, double> probability, double threshold, int from, int to, double warnAt, AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(level);
        ArgumentNullException.ThrowIfNull(probability);
        return rule == AlertRule.EventBased
            ? EventBased(level, probability, threshold, from, to, warnAt)
            : Legacy(level, probability, threshold, from, to, warnAt);
    }

    /// <summary>Adds up scores of several thresholds, gauges or periods.</summary>
    public static CrossingScores Total(IReadOnlyList<CrossingScores> list, double probability)
    {
        ArgumentNullException.ThrowIfNull(list);
        return new(
            list.Sum(c => c.Crossings),
            list.Sum(c => c.WarnedAtLeast30Minutes),
            list.Sum(c => c.Warned),
            list.Sum(c => c.Alerts),
            list.Sum(c => c.FalseAlerts),
            RiverForecaster.Median(list.SelectMany(c => c.Leads)),
            probability,
            [.. list.SelectMany(c => c.FalseAlertShortfalls)],
            [.. list.SelectMany(c => c.Leads)]);
    }

    /// <summary>
    /// The alerts and crossings of rows [<paramref name="from"/>, <paramref name="to"/>) under <see cref="AlertRule.EventBased"/>
    /// (as <see cref="Score"/> counts them): each alert with its first and last warning and the crossing that verified it (-1 when
    /// false), and each crossing with the first warning of the alert in force when it came (-1 when none was).
    /// </summary>
    public static (IReadOnlyList<AlertSpan> Alerts, IReadOnlyList<(int Row, int AlertStart)> Crossings) Events(double[] level, Func<int, double> probability, double threshold, int from, int to, double warnAt)
    {
        ArgumentNullException.ThrowIfNull(level);
        ArgumentNullException.ThrowIfNull(probability);
        var alerts = new List<AlertSpan>();
        var crossings = new List<(int, int)>();
        bool armed = level[from] < threshold;
        int start = -1, lastWarn = -1;
        for (int i = from; i < to; i++)
        {
            double x = level[i];
            if (start >= 0 && i > lastWarn + ValidRows)
            {
                // Not renewed within its valid time and no crossing in it: a false alert.
                alerts.Add(new AlertSpan(start, lastWarn, -1));
                start = -1;
            }

            if (i > from && armed && x >= threshold)
            {
                armed = false;
                crossings.Add((i, start));
                if (start >= 0)
                {
                    alerts.Add(new AlertSpan(start, lastWarn, i));
                    start = -1;
                }

                continue;
            }

            if (!armed && x < threshold - RearmMargin)
            {
                armed = true;
            }

            if (armed && !double.IsNaN(x) && probability(i) >= warnAt)
            {
                if (start < 0)
                {
                    start = i;
                }

                lastWarn = i;
            }
        }

        if (start >= 0)
        {
            // Still in force when the record ends with no crossing: false (as the legacy rule counts it).
            alerts.Add(new AlertSpan(start, lastWarn, -1));
        }

        return (alerts, crossings);
    }

    private static CrossingScores EventBased(double[] level, Func<int, double> probability, double threshold, int from, int to, double warnAt)
    {
        var (alerts, crossings) = Events(level, probability, threshold, from, to, warnAt);
        var leads = crossings.Where(c => c.AlertStart >= 0).Select(c => (c.Row - c.AlertStart) * 10.0).ToList();
        var shortfalls = alerts.Where(a => a.Crossing < 0).Select(a => Shortfall(level, threshold, a.Start, Math.Min(to - 1, a.LastWarning + ValidRows))).ToList();
        return Scores(crossings.Count, alerts.Count, shortfalls.Count, leads, shortfalls, warnAt);
    }

    private static CrossingScores Legacy(double[] level, Func<int, double> probability, double threshold, int from, int to, double warnAt)
    {
        var crossings = new List<int>();
        bool armed = level[from] < threshold;
        for (int i = from + 1; i < to; i++)
        {
            if (armed && level[i] >= threshold)
            {
                crossings.Add(i);
                armed = false;
            }
            else if (!armed && level[i] < threshold - RearmMargin)
            {
                armed = true;
            }
        }

        // Alerts: runs of warnings (gaps of up to 2 rows merged), only while below the threshold.
        var episodes = new List<(int Start, int End)>();
        int start = -1, lastWarn = -100;
        for (int i = from; i < to; i++)
        {
            if (!(level[i] < threshold && probability(i) >= warnAt))
            {
                continue;
            }

            if (start >= 0 && i - lastWarn <= 3)
            {
                lastWarn = i;
                continue;
            }

            if (start >= 0)
            {
                episodes.Add((start, lastWarn));
            }

            start = i;
            lastWarn = i;
        }

        if (start >= 0)
        {
            episodes.Add((start, lastWarn));
        }

        int falseAlerts = 0;
        var shortfalls = new List<double>();
        foreach (var (s, e) in episodes)
        {
            if (!crossings.Exists(c => c >= s && c <= e + ValidRows))
            {
                falseAlerts++;
                shortfalls.Add(Shortfall(level, threshold, s, Math.Min(to - 1, e + ValidRows)));
            }
        }

        var leads = new List<double>();
        foreach (int c in crossings)
        {
            int earliest = int.MaxValue;
            foreach (var (s, e) in episodes)
            {
                if (s <= c && c <= e + ValidRows)
                {
                    earliest = Math.Min(earliest, s);
                }
            }

            if (earliest != int.MaxValue)
            {
                leads.Add((c - earliest) * 10.0);
            }
        }

        return Scores(crossings.Count, episodes.Count, falseAlerts, leads, shortfalls, warnAt);
    }

    private static CrossingScores Scores(int crossings, int alerts, int falseAlerts, List<double> leads, List<double> shortfalls, double warnAt) =>
        new(crossings, leads.Count(l => l >= RequiredLeadMinutes), leads.Count, alerts, falseAlerts, RiverForecaster.Median(leads), warnAt, shortfalls, leads);

    // How far the level stayed below the threshold at its highest over rows [from, to].
    private static double Shortfall(double[] level, double threshold, int from, int to)
    {
        double peak = double.MinValue;
        for (int i = from; i <= Math.Min(to, level.Length - 1); i++)
        {
            peak = double.IsNaN(level[i]) ? peak : Math.Max(peak, level[i]);
        }

        return threshold - peak;
    }
}
