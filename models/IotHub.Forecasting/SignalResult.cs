namespace IotHub.Forecasting;

/// <summary>Average delay per vehicle, seconds, in the weekday morning peak (07:00-10:00 JST), fixed plan against Webster from forecasts.</summary>
internal sealed record SignalResult(int Days, double FixedMain, double WebsterMain, double FixedCross, double WebsterCross, double FixedAll, double WebsterAll);
