namespace IotHub.City.ScenarioFiles;

/// <summary>A gauge's rating curve Q = coefficient (h - zeroFlowLevel)^exponent.</summary>
internal sealed class RatingDocument
{
    public double? ZeroFlowLevel { get; set; }

    public double? Coefficient { get; set; }

    public double? Exponent { get; set; }
}
