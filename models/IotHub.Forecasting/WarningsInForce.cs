using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>A forecast alert in force.</summary>
/// <param name="Warning">The newest warning that raised or renewed it (probability, lead time, message).</param>
/// <param name="Since">When it was raised.</param>
/// <param name="LastWarnedAt">When a forecast last warned of it.</param>
/// <param name="ValidUntil">When it lapses unless a forecast warns of it again: <see cref="WarningsInForce.Validity"/> after the last warning.</param>
public sealed record AlertInForce(ThresholdWarning Warning, DateTimeOffset Since, DateTimeOffset LastWarnedAt, DateTimeOffset ValidUntil);

/// <summary>How an alert left the book.</summary>
public enum AlertEnd
{
    /// <summary>The gauge reached the threshold while the alert was in force (a hit).</summary>
    Reached,

    /// <summary>No forecast warned of it again within its valid time, and the threshold was not reached.</summary>
    Lapsed,
}

/// <summary>
/// The hub's forecast alerts, kept the way the backtest verifies them (<see cref="AlertRule.EventBased"/>): a warning raises an
/// alert only while its threshold is armed; a warning of an alert in force renews it rather than raising another; the alert ends
/// when the gauge reaches the threshold, or <see cref="Validity"/> after its last warning. After a crossing the threshold is
/// re-armed once the level has fallen <see cref="WarningVerification.RearmMargin"/> below it, so one rise gives one alert and a
/// forecast that flickers between evaluations does not make the alert come and go. Not thread-safe: one evaluation at a time.
/// </summary>
public sealed class WarningsInForce
{
    /// <summary>How long a warning stays valid: the forecasts' longest horizon (120 minutes).</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromMinutes(WarningVerification.ValidRows * 10);

    private readonly Dictionary<(string Gauge, int Threshold), AlertInForce> _inForce = [];
    private readonly HashSet<(string Gauge, int Threshold)> _disarmed = [];

    /// <summary>The alerts in force, most severe threshold first, then the soonest.</summary>
    public IReadOnlyList<AlertInForce> Alerts { get; private set; } = [];

    /// <summary>
    /// Applies one evaluation at <paramref name="now"/>: the gauges' current <paramref name="levels"/> (metres; a gauge missing
    /// or NaN is left as it was), the <paramref name="thresholds"/> of every gauge and the forecast's
    /// <paramref name="warnings"/>. Returns what changed: alerts raised, and alerts that ended with how.
    /// </summary>
    public (IReadOnlyList<AlertInForce> Raised, IReadOnlyList<(AlertInForce Alert, AlertEnd End)> Ended) Update(
        DateTimeOffset now,
        IReadOnlyDictionary<string, double> levels,
        IReadOnlyDictionary<string, GaugeThresholds> thresholds,
        IReadOnlyList<ThresholdWarning> warnings)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentNullException.ThrowIfNull(warnings);
        var ended = new List<(AlertInForce, AlertEnd)>();
        foreach (var (gauge, gaugeThresholds) in thresholds)
        {
            var thresholdLevels = gaugeThresholds.Levels();
            if (!levels.TryGetValue(gauge, out double level) || double.IsNaN(level))
            {
                continue;
            }

            for (int k = 0; k < thresholdLevels.Length; k++)
            {
                var key = (gauge, k + 1);
                if (level >= thresholdLevels[k])
                {
                    _disarmed.Add(key);
                    if (_inForce.Remove(key, out var reached))
                    {
                        ended.Add((reached, AlertEnd.Reached));
                    }
                }
                else if (level < thresholdLevels[k] - WarningVerification.RearmMargin)
                {
                    _disarmed.Remove(key);
                }
            }
        }

        foreach (var (key, alert) in _inForce.Where(a => now > a.Value.ValidUntil).ToList())
        {
            _inForce.Remove(key);
            ended.Add((alert, AlertEnd.Lapsed));
        }

        var raised = new List<AlertInForce>();
        foreach (var warning in warnings)
        {
            var key = (warning.GaugeId, warning.Threshold);
            if (_inForce.TryGetValue(key, out var alert))
            {
                _inForce[key] = alert with { Warning = warning, LastWarnedAt = now, ValidUntil = now + Validity };
            }
            else if (!_disarmed.Contains(key))
            {
                var added = new AlertInForce(warning, now, now, now + Validity);
                _inForce[key] = added;
                raised.Add(added);
            }
        }

        Alerts = [.. _inForce.Values.OrderByDescending(a => a.Warning.Threshold).ThenBy(a => a.Warning.MinutesAhead).ThenBy(a => a.Warning.GaugeId, StringComparer.Ordinal)];
        return (raised, ended);
    }

    /// <summary>Forgets every alert and re-arms every threshold (no river models any more).</summary>
    public void Clear()
    {
        _inForce.Clear();
        _disarmed.Clear();
        Alerts = [];
    }
}
