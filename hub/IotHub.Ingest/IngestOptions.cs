namespace IotHub.Ingest;

/// <summary>Limits and policies of the ingest path. Every limit is checked before the data is buffered further.</summary>
public sealed class IngestOptions
{
    /// <summary>Largest telemetry payload accepted, in bytes. Default 256 KiB.</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>Largest camera still accepted, in bytes. Default 2 MiB.</summary>
    public int MaxImageBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Most readings one payload may carry. Default 10,000.</summary>
    public int MaxReadingsPerPayload { get; set; } = 10_000;

    /// <summary>Most tags one point may carry (the device tag included). Default 16.</summary>
    public int MaxTagsPerPoint { get; set; } = 16;

    /// <summary>Largest HTTP write body, after decompression, in bytes. Default 32 MiB.</summary>
    public int MaxHttpBodyBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// HTTP writes read and held at once (each up to <see cref="MaxHttpBodyBytes"/>); more wait up to
    /// <see cref="HttpSlotWait"/> for a slot, then get 503 with Retry-After before their bodies are read. Default 64.
    /// </summary>
    public int MaxConcurrentHttpWrites { get; set; } = 64;

    /// <summary>
    /// How long an HTTP write waits for one of the <see cref="MaxConcurrentHttpWrites"/> slots before it is
    /// answered 503 with Retry-After. Default 5 s.
    /// </summary>
    public TimeSpan HttpSlotWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest line of line protocol accepted, in bytes. Default 64 KiB.</summary>
    public int MaxLineBytes { get; set; } = 64 * 1024;

    /// <summary>How far ahead of the hub's clock a timestamp may be. Default 10 minutes.</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How far in the past a timestamp may be (backfills included). Default 400 days.</summary>
    public TimeSpan MaxPastAge { get; set; } = TimeSpan.FromDays(400);

    /// <summary>
    /// Messages queued towards one MQTT subscriber before the broker drops the oldest. MQTTnet's
    /// default of 250 drops QoS 1 messages for a subscriber that is briefly slow. Default 100,000.
    /// </summary>
    public int MaxPendingMessagesPerClient { get; set; } = 100_000;

    /// <summary>
    /// Points per second one device may write, sustained (0 turns the limit off). Writes made with
    /// the admin token are not limited. Default 1,000: a city sensor sends a few points a minute, and
    /// an edge agent replaying its queue after an outage drains it at a few hundred points a second.
    /// </summary>
    public int MaxPointsPerSecondPerDevice { get; set; } = 1_000;

    /// <summary>Points a device may write at once above its rate, e.g. a queue replayed after an outage. Default 100,000.</summary>
    public int DeviceBurstPoints { get; set; } = 100_000;

    /// <summary>
    /// How long a write of a device over its rate is held (its ack delayed) before it is refused
    /// instead: HTTP 429 with Retry-After, MQTT QuotaExceeded, gRPC UNAVAILABLE. Default 2 s.
    /// </summary>
    public TimeSpan MaxRateLimitDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public void Validate()
    {
        Check(MaxPayloadBytes is >= 64 and <= 64 * 1024 * 1024, nameof(MaxPayloadBytes), "64 B..64 MiB", MaxPayloadBytes);
        Check(MaxImageBytes is >= 1024 and <= 64 * 1024 * 1024, nameof(MaxImageBytes), "1 KiB..64 MiB", MaxImageBytes);
        Check(MaxTagsPerPoint is >= 1 and <= 256, nameof(MaxTagsPerPoint), "1..256", MaxTagsPerPoint);
        Check(MaxHttpBodyBytes is >= 1024 and <= 1024 * 1024 * 1024, nameof(MaxHttpBodyBytes), "1 KiB..1 GiB", MaxHttpBodyBytes);
        Check(MaxConcurrentHttpWrites is >= 1 and <= 100_000, nameof(MaxConcurrentHttpWrites), "1..100000", MaxConcurrentHttpWrites);
        Check(HttpSlotWait >= TimeSpan.Zero && HttpSlotWait <= TimeSpan.FromMinutes(1), nameof(HttpSlotWait), "0..1 minute", HttpSlotWait);
        Check(MaxLineBytes is >= 64 and <= 16 * 1024 * 1024, nameof(MaxLineBytes), "64 B..16 MiB", MaxLineBytes);
        Check(MaxReadingsPerPayload is >= 1 and <= 1_000_000, nameof(MaxReadingsPerPayload), "1..1000000", MaxReadingsPerPayload);
        Check(MaxFutureSkew >= TimeSpan.Zero && MaxFutureSkew <= TimeSpan.FromDays(1), nameof(MaxFutureSkew), "0..1 day", MaxFutureSkew);
        Check(MaxPastAge > TimeSpan.Zero && MaxPastAge <= TimeSpan.FromDays(36500), nameof(MaxPastAge), "0..36500 days", MaxPastAge);
        Check(MaxPointsPerSecondPerDevice is >= 0 and <= 100_000_000, nameof(MaxPointsPerSecondPerDevice), "0 (off)..100000000", MaxPointsPerSecondPerDevice);
        Check(DeviceBurstPoints is >= 1 and <= 100_000_000, nameof(DeviceBurstPoints), "1..100000000", DeviceBurstPoints);
        Check(MaxRateLimitDelay >= TimeSpan.Zero && MaxRateLimitDelay <= TimeSpan.FromMinutes(1), nameof(MaxRateLimitDelay), "0..1 minute", MaxRateLimitDelay);
        Check(MaxPendingMessagesPerClient is >= 100 and <= 10_000_000, nameof(MaxPendingMessagesPerClient), "100..10000000", MaxPendingMessagesPerClient);
    }

    private static void Check(bool valid, string name, string range, object value)
    {
        if (!valid)
        {
            throw new ArgumentException($"Ingest: {name} must be {range}, was {value}.");
        }
    }
}
