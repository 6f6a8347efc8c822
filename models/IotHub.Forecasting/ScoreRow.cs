namespace IotHub.Forecasting;

/// <summary>ML.NET regression output.</summary>
internal sealed class ScoreRow
{
    public float Score { get; set; }
}
