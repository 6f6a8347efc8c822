namespace IotHub.Forecasting.Cli;

/// <summary>Command-line options of the training command.</summary>
internal sealed record TrainCommandOptions(int Days, int Folds, int TestDays, int Seed, string Out, string Report, string? Csv, string? Target, string? Only, string Trainer, string Nowcast, bool CalmBins);
