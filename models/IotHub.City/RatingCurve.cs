namespace IotHub.City;

/// <summary>
/// A gauge's stage-discharge relation Q = a (h - h0)^b, the power law hydrologists fit to
/// measured flows (b is about 1.5-1.7 for the walled rectangular channels of Tokyo's small rivers).
/// </summary>
/// <param name="ZeroFlowLevel">h0: level in metres at the gauge at which the flow is zero.</param>
/// <param name="Coefficient">a, in m3/s per metre^b.</param>
/// <param name="Exponent">b, dimensionless.</param>
public sealed record RatingCurve(double ZeroFlowLevel, double Coefficient, double Exponent)
{
    /// <summary>Level in metres at the gauge for a flow of <paramref name="flow"/> m3/s.</summary>
    public double Level(double flow) =>
        flow <= 0 ? ZeroFlowLevel : ZeroFlowLevel + Math.Pow(flow / Coefficient, 1.0 / Exponent);

    /// <summary>Flow in m3/s at a level of <paramref name="level"/> metres.</summary>
    public double Flow(double level) =>
        level <= ZeroFlowLevel ? 0 : Coefficient * Math.Pow(level - ZeroFlowLevel, Exponent);
}
