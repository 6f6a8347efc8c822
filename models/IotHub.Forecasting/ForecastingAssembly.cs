namespace IotHub.Forecasting;

/// <summary>Placeholder so the project builds until the forecasting work lands.</summary>
internal static class ForecastingAssembly
{
}
