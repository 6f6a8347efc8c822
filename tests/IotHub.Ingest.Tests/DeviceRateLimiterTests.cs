using Microsoft.Extensions.Time.Testing;

namespace IotHub.Ingest.Tests;

public sealed class DeviceRateLimiterTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-28T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private DeviceRateLimiter Limiter(int rate, int burst, double maxDelaySeconds) =>
        new(new IngestOptions { MaxPointsPerSecondPerDevice = rate, DeviceBurstPoints = burst, MaxRateLimitDelay = TimeSpan.FromSeconds(maxDelaySeconds) }, new IngestMetrics(), _time);

    [Fact]
    public void Take_WithinBurst_GoesAtOnce()
    {
        var limiter = Limiter(rate: 10, burst: 100, maxDelaySeconds: 2);

        Assert.Equal(RateDecision.Go(TimeSpan.Zero), limiter.Take("d1", 60));
        Assert.Equal(RateDecision.Go(TimeSpan.Zero), limiter.Take("d1", 40));
    }

    [Fact]
    public void Take_OverTheBurst_HeldForTheTimeTheRateNeeds_ThenRefusedBeyondTheLongestHold()
    {
        var limiter = Limiter(rate: 10, burst: 100, maxDelaySeconds: 2);
        limiter.Take("d1", 100);

        var held = limiter.Take("d1", 15);
        var refused = limiter.Take("d1", 10);

        Assert.True(held.Admitted);
        Assert.Equal(TimeSpan.FromSeconds(1.5), held.Delay);
        // 15 points of debt plus 10 more need 2.5 s at 10 points/s: half a second beyond the 2 s hold.
        Assert.False(refused.Admitted);
        Assert.Equal(0.5, refused.RetryAfter.TotalSeconds, 3);
    }

    [Fact]
    public void Take_Refused_TakesNothing_AndTheBucketRefillsAtTheRate()
    {
        var limiter = Limiter(rate: 10, burst: 100, maxDelaySeconds: 0);
        limiter.Take("d1", 100);
        Assert.False(limiter.Take("d1", 50).Admitted);

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(RateDecision.Go(TimeSpan.Zero), limiter.Take("d1", 50));
        Assert.False(limiter.Take("d1", 1).Admitted);
    }

    [Fact]
    public void Take_DevicesHaveTheirOwnBuckets()
    {
        var limiter = Limiter(rate: 10, burst: 100, maxDelaySeconds: 0);
        limiter.Take("d1", 100);

        Assert.False(limiter.Take("d1", 1).Admitted);
        Assert.True(limiter.Take("d2", 100).Admitted);
    }

    [Fact]
    public void Take_WriteLargerThanTheBurst_GoesOnAFullBucket_ThenLaterWritesWaitOffTheDebt()
    {
        var limiter = Limiter(rate: 10, burst: 100, maxDelaySeconds: 30);

        Assert.Equal(RateDecision.Go(TimeSpan.Zero), limiter.Take("d1", 250));
        Assert.Equal(TimeSpan.FromSeconds(16), limiter.Take("d1", 10).Delay);
    }

    [Fact]
    public void Take_RateZero_TurnsTheLimitOff()
    {
        var limiter = Limiter(rate: 0, burst: 1, maxDelaySeconds: 0);

        Assert.False(limiter.Enabled);
        Assert.Equal(RateDecision.Go(TimeSpan.Zero), limiter.Take("d1", 1_000_000));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("m f=1", 1)]
    [InlineData("m f=1\n", 1)]
    [InlineData("m f=1\nm f=2", 2)]
    [InlineData("m f=1\r\nm f=2\r\n", 2)]
    public void CountLines_CountsThePointsABodyWillGive(string body, int lines) =>
        Assert.Equal(lines, DeviceRateLimiter.CountLines(System.Text.Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Validate_NegativeRate_NamesTheOption()
    {
        var error = Assert.Throws<ArgumentException>(() => new IngestOptions { MaxPointsPerSecondPerDevice = -1 }.Validate());

        Assert.Contains("MaxPointsPerSecondPerDevice", error.Message, StringComparison.Ordinal);
    }
}
