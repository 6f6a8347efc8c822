namespace IotHub.Hub.Forecasts;

/// <summary>
/// The <c>Forecast</c> section of the hub's configuration (appsettings.json, or environment
/// variables such as <c>IOTHUB_Forecast__RetrainInterval=06:00:00</c>).
/// </summary>
public sealed class ForecastOptions
{
    /// <summary>Whether the hub serves forecasts at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The city whose gauges are forecast: <c>default</c>, <c>demo</c> or a scenario file; empty = the demo city in demo mode, <c>default</c> otherwise.</summary>
    public string City { get; set; } = "";

    /// <summary>Folder of the model files; empty = <c>models</c> under the data folder.</summary>
    public string ModelsDirectory { get; set; } = "";

    /// <summary>How often the models are retrained from the store. Default 24 h.</summary>
    public TimeSpan RetrainInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Days of the store's history a training reads (the most recent ones), 2-90. Default 60.</summary>
    public int TrainingDays { get; set; } = 60;

    /// <summary>Fewest days of river history in the store before the hub trains from it. Default 7.</summary>
    public int MinHistoryDays { get; set; } = 7;

    /// <summary>
    /// Train from the simulated city while the store has too little history; empty = only in demo
    /// mode (a real deployment waits for its own history rather than learn a simulated river).
    /// </summary>
    public bool? SimulateWhenNoHistory { get; set; }

    /// <summary>Days of simulated history for that training, 2-90. Default 90.</summary>
    public int SimulatedDays { get; set; } = 90;

    /// <summary>Boosting rounds per model. Default 200.</summary>
    public int Iterations { get; set; } = 200;

    /// <summary>How often forecast alerts are re-evaluated. Default 30 s.</summary>
    public TimeSpan AlertInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Raise an alert when a threshold is reached with at least this probability (of the river warning models) within 120
    /// minutes. Default: unset, the probability on the river models' cards, which training chooses on its window's out-of-fold
    /// warnings (0.5 when they carry none).
    /// </summary>
    public double? WarningProbability { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (RetrainInterval < TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"Forecast:RetrainInterval must be at least 1 minute, was {RetrainInterval}.");
        }

        if (TrainingDays is < 2 or > 90)
        {
            throw new ArgumentException($"Forecast:TrainingDays must be 2..90, was {TrainingDays}.");
        }

        if (SimulatedDays is < 2 or > 90)
        {
            throw new ArgumentException($"Forecast:SimulatedDays must be 2..90, was {SimulatedDays}.");
        }

        if (MinHistoryDays < 2 || MinHistoryDays > TrainingDays)
        {
            throw new ArgumentException($"Forecast:MinHistoryDays must be 2..TrainingDays ({TrainingDays}), was {MinHistoryDays}.");
        }

        if (Iterations is < 10 or > 2000)
        {
            throw new ArgumentException($"Forecast:Iterations must be 10..2000, was {Iterations}.");
        }

        if (AlertInterval < TimeSpan.FromMilliseconds(200))
        {
            throw new ArgumentException($"Forecast:AlertInterval must be at least 200 ms, was {AlertInterval}.");
        }

        if (WarningProbability is { } p && (p <= 0 || p >= 1))
        {
            throw new ArgumentException($"Forecast:WarningProbability must be between 0 and 1 (exclusive), was {WarningProbability}.");
        }
    }
}
