namespace IotHub.Storage;

/// <summary>How long one measurement's data is kept; an unset value falls back to the store-wide default.</summary>
public sealed class MeasurementRetention
{
    /// <summary>Raw points. Default: <see cref="StorageOptions.RawRetention"/>.</summary>
    public TimeSpan? Raw { get; set; }

    /// <summary>1-minute rollups. Default: <see cref="StorageOptions.MinuteRollupRetention"/>.</summary>
    public TimeSpan? MinuteRollup { get; set; }

    /// <summary>1-hour rollups. Default: <see cref="StorageOptions.HourRollupRetention"/>.</summary>
    public TimeSpan? HourRollup { get; set; }
}
