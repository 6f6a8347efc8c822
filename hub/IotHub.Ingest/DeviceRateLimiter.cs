using System.Collections.Concurrent;

namespace IotHub.Ingest;

/// <summary>
/// The per-device ingest rate: a token bucket of points for every device, refilled at
/// <see cref="IngestOptions.MaxPointsPerSecondPerDevice"/> up to <see cref="IngestOptions.DeviceBurstPoints"/>.
/// A device over its rate is first slowed (its write waits, up to <see cref="IngestOptions.MaxRateLimitDelay"/>,
/// which delays its ack); only a device further over is refused, with the time after which to retry.
/// Writes made with the admin token are bound to no device and are not limited here.
/// One bucket per registered device: the map is bounded by the registry.
/// </summary>
public sealed class DeviceRateLimiter(IngestOptions options, IngestMetrics metrics, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Whether a rate is configured (0 points per second turns the limit off).</summary>
    public bool Enabled => options.MaxPointsPerSecondPerDevice > 0;

    /// <summary>
    /// Takes <paramref name="points"/> from the device's bucket. Answers how long the write must
    /// wait before it goes on (zero when the device is within its rate), or, when even the longest
    /// allowed wait is not enough, that it is refused and when a retry can succeed; a refused write
    /// takes nothing from the bucket.
    /// </summary>
    public RateDecision Take(string deviceId, int points)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (!Enabled || points <= 0)
        {
            return RateDecision.Go(TimeSpan.Zero);
        }

        var rate = (double)options.MaxPointsPerSecondPerDevice;
        var burst = (double)options.DeviceBurstPoints;
        var bucket = _buckets.GetOrAdd(deviceId, static (_, b) => new Bucket(b.burst, b.now), (burst, now: time.GetTimestamp()));
        lock (bucket)
        {
            var now = time.GetTimestamp();
            var elapsed = time.GetElapsedTime(bucket.Stamp, now).TotalSeconds;
            bucket.Tokens = Math.Min(burst, bucket.Tokens + (elapsed * rate));
            bucket.Stamp = now;

            // A write larger than the burst needs a full bucket, then leaves it in debt: later writes wait.
            var needed = Math.Min(points, burst);
            var wait = bucket.Tokens >= needed ? TimeSpan.Zero : TimeSpan.FromSeconds((needed - bucket.Tokens) / rate);
            if (wait > options.MaxRateLimitDelay)
            {
                return RateDecision.Refuse(wait - options.MaxRateLimitDelay);
            }

            bucket.Tokens -= points;
            return RateDecision.Go(wait);
        }
    }

    /// <summary>
    /// Takes <paramref name="points"/> for the device and holds the caller as long as its rate asks,
    /// counting delays in the metrics. A refused write must be counted as <see cref="RejectReason.RateLimited"/>
    /// by the caller, answered with <see cref="Describe"/>, and not written.
    /// </summary>
    public async ValueTask<RateDecision> AdmitAsync(string deviceId, int points, CancellationToken cancellationToken)
    {
        var decision = Take(deviceId, points);
        if (decision.Admitted && decision.Delay > TimeSpan.Zero)
        {
            metrics.RateLimitDelayed();
            await Task.Delay(decision.Delay, time, cancellationToken);
        }

        return decision;
    }

    /// <summary>The message of a refusal, naming the limit and when to retry.</summary>
    public string Describe(int points, RateDecision decision) =>
        $"device rate limit: {points} points exceed the allowance of {options.MaxPointsPerSecondPerDevice} points/s " +
        $"(burst {options.DeviceBurstPoints}); nothing was written; retry after {RetryAfterSeconds(decision)} s";

    /// <summary>Whole seconds to wait before a retry (at least 1), for a Retry-After header.</summary>
    public static int RetryAfterSeconds(RateDecision decision) => Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));

    /// <summary>Counts lines in a line protocol body: the points it will give, before parsing it.</summary>
    public static int CountLines(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return 0;
        }

        var newlines = body.Count((byte)'\n');
        return body[^1] == (byte)'\n' ? newlines : newlines + 1;
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens = tokens;
        public long Stamp = stamp;
    }
}

/// <summary>What <see cref="DeviceRateLimiter.Take"/> decided for one write.</summary>
/// <param name="Admitted">Whether the write goes on (after <paramref name="Delay"/>).</param>
/// <param name="Delay">How long the write waits first; its ack waits as long.</param>
/// <param name="RetryAfter">For a refused write: how long until a retry of it can go through.</param>
public readonly record struct RateDecision(bool Admitted, TimeSpan Delay, TimeSpan RetryAfter)
{
    /// <summary>Admitted after <paramref name="delay"/>.</summary>
    public static RateDecision Go(TimeSpan delay) => new(true, delay, TimeSpan.Zero);

    /// <summary>Refused; a retry after <paramref name="retryAfter"/> can succeed.</summary>
    public static RateDecision Refuse(TimeSpan retryAfter) => new(false, TimeSpan.Zero, retryAfter);
}
