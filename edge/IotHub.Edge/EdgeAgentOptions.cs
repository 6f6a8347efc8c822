namespace IotHub.Edge;

/// <summary>Options of an edge agent process.</summary>
public sealed class EdgeAgentOptions
{
    /// <summary>Hub's MQTT host. Default 127.0.0.1.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Hub's MQTT port. Default 1883.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>How often each device samples its sensors. Default 2 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Readings a device keeps while the hub is unreachable. When full, the oldest routine
    /// reading is dropped and counted. Default 1,000.
    /// </summary>
    public int MaxBufferedReadings { get; set; } = 1000;

    /// <summary>Longest wait between reconnect attempts (exponential backoff with jitter). Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Edge: Host is required.");
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"Edge: Port must be 1..65535, was {Port}.");
        }

        if (SampleInterval < TimeSpan.FromMilliseconds(100) || SampleInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"Edge: SampleInterval must be 100 ms..1 day, was {SampleInterval}.");
        }

        if (MaxBufferedReadings is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"Edge: MaxBufferedReadings must be 1..10000000, was {MaxBufferedReadings}.");
        }

        if (MaxReconnectDelay < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentException($"Edge: MaxReconnectDelay must be at least 100 ms, was {MaxReconnectDelay}.");
        }
    }
}
