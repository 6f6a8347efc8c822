namespace IotHub.City.ScenarioFiles;

/// <summary>A gauge's four threshold levels, metres at the gauge.</summary>
internal sealed class ThresholdsDocument
{
    public double? Standby { get; set; }

    public double? FloodCaution { get; set; }

    public double? EvacuationJudgement { get; set; }

    public double? FloodDanger { get; set; }
}
