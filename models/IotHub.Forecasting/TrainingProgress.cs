namespace IotHub.Forecasting;

/// <summary>A step of the training command, for its progress bar.</summary>
/// <param name="Task">What is being done.</param>
/// <param name="Percent">How far the whole run is, 0-100.</param>
public readonly record struct TrainingProgress(string Task, double Percent);
