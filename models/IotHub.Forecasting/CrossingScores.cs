namespace IotHub.Forecasting;

/// <summary>
/// How well threshold crossings were warned of, under an <see cref="AlertRule"/> (see <see cref="WarningVerification"/>).
/// </summary>
/// <param name="Crossings">Upward crossings of any of the four thresholds (re-armed only after falling 0.1 m below).</param>
/// <param name="WarnedAtLeast30Minutes">Crossings whose alert began 30 minutes or more before them.</param>
/// <param name="Warned">Crossings with an alert in force when they came.</param>
/// <param name="Alerts">Alerts raised.</param>
/// <param name="FalseAlerts">Alerts not followed by a crossing.</param>
/// <param name="MedianLeadMinutes">Median lead time of the warned crossings.</param>
/// <param name="WarningProbability">The probability at which a warning is raised.</param>
/// <param name="FalseAlertShortfalls">For each false alert, how far (m) the level stayed below its threshold at its highest from the alert's start to 120 minutes after its last warning.</param>
/// <param name="Leads">Lead time (minutes) of every warned crossing.</param>
public sealed record CrossingScores(int Crossings, int WarnedAtLeast30Minutes, int Warned, int Alerts, int FalseAlerts, double MedianLeadMinutes, double WarningProbability, IReadOnlyList<double> FalseAlertShortfalls, IReadOnlyList<double> Leads)
{
    /// <summary>Share of crossings warned of 30 minutes or more ahead.</summary>
    public double HitRate30 => Crossings > 0 ? (double)WarnedAtLeast30Minutes / Crossings : double.NaN;

    /// <summary>Share of alerts that were false.</summary>
    public double FalseAlarmRatio => Alerts > 0 ? (double)FalseAlerts / Alerts : 0;
}
