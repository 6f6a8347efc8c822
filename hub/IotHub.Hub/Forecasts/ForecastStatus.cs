namespace IotHub.Hub.Forecasts;

/// <summary>What the forecast service is doing, for <c>/api/v1/forecast/status</c> and the dashboard.</summary>
/// <param name="State"><c>loading</c>, <c>training</c>, <c>ready</c>, <c>waiting-for-history</c>, <c>failed</c> or <c>disabled</c>.</param>
/// <param name="Detail">What is happening now, in words (the step of a training, why it waits, why it failed).</param>
/// <param name="Percent">Progress of a running training, 0-100.</param>
/// <param name="Models">Model files loaded.</param>
/// <param name="TrainedAt">When the loaded models were trained.</param>
/// <param name="Source">What they were trained on.</param>
/// <param name="NextTraining">When the next training starts.</param>
/// <param name="LastError">Why the last training failed, if it did (the models before it stay loaded).</param>
internal sealed record ForecastStatus(string State, string Detail, double Percent, int Models, DateTimeOffset? TrainedAt, string? Source, DateTimeOffset? NextTraining, string? LastError);
