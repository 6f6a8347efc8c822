namespace IotHub.City;

/// <summary>
/// The four threshold levels of a Japanese river gauge, in metres at the gauge (gauge datum),
/// DOMAIN.md levels 1 to 4. Each is higher than the one before.
/// </summary>
/// <param name="Standby">水防団待機水位, level 1: flood-fighting teams stand by.</param>
/// <param name="FloodCaution">氾濫注意水位, level 2: 氾濫注意情報.</param>
/// <param name="EvacuationJudgement">避難判断水位, level 3: 氾濫警戒情報, elderly evacuate.</param>
/// <param name="FloodDanger">氾濫危険水位, level 4: 氾濫危険情報, evacuation order.</param>
public sealed record GaugeThresholds(double Standby, double FloodCaution, double EvacuationJudgement, double FloodDanger)
{
    /// <summary>The DOMAIN.md level (0 = below standby, 1-4) that <paramref name="level"/> metres has reached.</summary>
    public int LevelReached(double level) =>
        level >= FloodDanger ? 4
        : level >= EvacuationJudgement ? 3
        : level >= FloodCaution ? 2
        : level >= Standby ? 1
        : 0;

    /// <summary>The four levels in order: index k holds DOMAIN.md level k + 1.</summary>
    public double[] Levels() => [Standby, FloodCaution, EvacuationJudgement, FloodDanger];
}
