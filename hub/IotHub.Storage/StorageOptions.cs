namespace IotHub.Storage;

/// <summary>Options of the embedded store. Defaults suit one hub on a small machine.</summary>
public sealed class StorageOptions
{
    /// <summary>Folder holding the database file (<c>iothub.duckdb</c>). Required.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// Write requests waiting for the commit loop. When full, writers wait (backpressure reaches
    /// the listeners, which stop reading or delay acks). Default 4,096.
    /// </summary>
    public int WriteQueueCapacity { get; set; } = 4096;

    /// <summary>Most points one commit takes from the queue (group commit). Default 100,000.</summary>
    public int MaxPointsPerCommit { get; set; } = 100_000;

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("Storage: DataDirectory is required.");
        }

        if (WriteQueueCapacity is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"Storage: WriteQueueCapacity must be 1..1000000, was {WriteQueueCapacity}.");
        }

        if (MaxPointsPerCommit is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"Storage: MaxPointsPerCommit must be 1..10000000, was {MaxPointsPerCommit}.");
        }
    }
}
