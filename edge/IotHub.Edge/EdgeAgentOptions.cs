namespace IotHub.Edge;

/// <summary>Options of an edge agent process; validated at start.</summary>
public sealed class EdgeAgentOptions
{
    private string? _tlsCaFile;
    private System.Security.Cryptography.X509Certificates.X509Certificate2Collection? _tlsRoots;

    /// <summary>Hub's MQTT host. Default 127.0.0.1.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Hub's MQTT port. Default 1883.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Use TLS to the hub (then the port is usually 8883). Default off.</summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// PEM file of the certificate authority (or the hub's own certificate) that the hub's TLS
    /// certificate (MQTT over TLS, gRPC over https) must chain to, for a city's private CA;
    /// <c>null</c> trusts the system's roots.
    /// </summary>
    public string? TlsCaFile
    {
        get => _tlsCaFile;
        set
        {
            _tlsCaFile = value;
            _tlsRoots = null;
        }
    }

    /// <summary>
    /// The certificates of <see cref="TlsCaFile"/>, read once for every device of the agent (not at
    /// each connection), or <c>null</c> when no file is set.
    /// </summary>
    /// <exception cref="EdgeConfigurationException">The file cannot be read or holds no certificate.</exception>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? TlsRoots =>
        _tlsCaFile is null ? null : _tlsRoots ??= TlsTrust.Load(_tlsCaFile);

    /// <summary>How batches reach the hub. Default MQTT.</summary>
    public UplinkProtocol Uplink { get; set; } = UplinkProtocol.Mqtt;

    /// <summary>The hub's gRPC endpoint (<c>http://host:port</c>, or <c>https://</c> for TLS); required for the gRPC uplink.</summary>
    public Uri? GrpcHub { get; set; }

    /// <summary>The hub the uplink talks to, as a URL for messages.</summary>
    public string UplinkUrl => Uplink == UplinkProtocol.Grpc && GrpcHub is { } grpc
        ? grpc.GetLeftPart(UriPartial.Authority)
        : $"mqtt{(UseTls ? "s" : "")}://{Host}:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The disk queue file (SQLite), one per agent process. Required.</summary>
    public string QueuePath { get; set; } = "";

    /// <summary>Bound on the disk queue's reading bytes; when full the oldest routine readings are dropped. Default 256 MiB.</summary>
    public long MaxQueueBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Most readings in one uplink batch. Default 500.</summary>
    public int MaxBatchReadings { get; set; } = 500;

    /// <summary>Most bytes in one uplink batch; below the hub's payload limit (256 KiB). Default 192 KiB.</summary>
    public int MaxBatchBytes { get; set; } = 192 * 1024;

    /// <summary>Pacing of this agent's uplink (all devices), readings per second, so a replay does not stampede the hub. Default 200,000.</summary>
    public double MaxUplinkReadingsPerSecond { get; set; } = 200_000;

    /// <summary>Longest wait between reconnect attempts (exponential backoff from 0.5 s with jitter). Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each device reports its health on its state topic. Default 60 s.</summary>
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Connect and acknowledgement timeout. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether devices sample their sensors; off only to drain a queue. Default on.</summary>
    public bool Sample { get; set; } = true;

    /// <summary>Throws an <see cref="EdgeConfigurationException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new EdgeConfigurationException("hub host is required");
        }

        if (Port is < 1 or > 65535)
        {
            throw new EdgeConfigurationException($"hub port must be 1..65535, was {Port}");
        }

        if (Uplink == UplinkProtocol.Grpc && GrpcHub is null)
        {
            throw new EdgeConfigurationException("the gRPC uplink needs the hub's gRPC endpoint: \"grpcHub\": \"http://127.0.0.1:8081\" in the config file");
        }

        if (GrpcHub is { } grpc && (!grpc.IsAbsoluteUri || grpc.Scheme is not ("http" or "https") || string.IsNullOrEmpty(grpc.Host)))
        {
            throw new EdgeConfigurationException($"grpcHub '{grpc}' must be a URL such as http://127.0.0.1:8081 (or https:// for TLS)");
        }

        if (string.IsNullOrWhiteSpace(QueuePath))
        {
            throw new EdgeConfigurationException("queue path is required");
        }

        if (MaxQueueBytes < 64 * 1024)
        {
            throw new EdgeConfigurationException($"queue size must be at least 64 KiB, was {MaxQueueBytes} bytes");
        }

        if (MaxBatchReadings is < 1 or > 10_000)
        {
            throw new EdgeConfigurationException($"maxBatchReadings must be 1..10000, was {MaxBatchReadings}");
        }

        if (MaxBatchBytes is < 1024 or > 256 * 1024)
        {
            throw new EdgeConfigurationException($"maxBatchBytes must be 1 KiB..256 KiB, was {MaxBatchBytes}");
        }

        if (!(MaxUplinkReadingsPerSecond >= 1))
        {
            throw new EdgeConfigurationException($"maxReadingsPerSecond must be at least 1, was {MaxUplinkReadingsPerSecond}");
        }

        if (MaxReconnectDelay < TimeSpan.FromMilliseconds(100))
        {
            throw new EdgeConfigurationException($"maxReconnectDelaySeconds must be at least 0.1, was {MaxReconnectDelay.TotalSeconds}");
        }

        if (HealthInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new EdgeConfigurationException($"healthIntervalSeconds must be at least 0.1, was {HealthInterval.TotalSeconds}");
        }

        if (Timeout < TimeSpan.FromMilliseconds(100))
        {
            throw new EdgeConfigurationException($"timeoutSeconds must be at least 0.1, was {Timeout.TotalSeconds}");
        }
    }
}
