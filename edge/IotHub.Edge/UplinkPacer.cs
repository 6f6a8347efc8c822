namespace IotHub.Edge;

/// <summary>
/// Paces an agent's uplink to a rate of readings per second shared by all its devices, so a fleet
/// replaying a backlog after an outage does not stampede the hub. A batch waits until the rate
/// allows it; up to one second of unused rate may be spent at once.
/// </summary>
internal sealed class UplinkPacer(double readingsPerSecond, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly double _secondsPerReading = 1.0 / readingsPerSecond;
    private double _nextFreeSeconds = double.NegativeInfinity;

    public Task WaitAsync(int readings, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp() / (double)time.TimestampFrequency;
        double wait;
        lock (_lock)
        {
            var start = Math.Max(_nextFreeSeconds, now - 1.0);
            _nextFreeSeconds = start + (readings * _secondsPerReading);
            wait = _nextFreeSeconds - 1.0 - now;
        }

        return wait > 0.001 ? Task.Delay(TimeSpan.FromSeconds(wait), time, cancellationToken) : Task.CompletedTask;
    }
}
