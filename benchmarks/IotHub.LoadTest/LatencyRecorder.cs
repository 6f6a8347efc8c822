using System.Diagnostics;

namespace IotHub.LoadTest;

/// <summary>Collects per-request latencies (bounded: at most one sample per request of a bounded run) and reports percentiles.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<double> _milliseconds = [];
    private readonly Lock _lock = new();

    public void Record(long startTimestamp)
    {
        var elapsed = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        lock (_lock)
        {
            _milliseconds.Add(elapsed);
        }
    }

    public (double P50, double P99) Percentiles()
    {
        lock (_lock)
        {
            if (_milliseconds.Count == 0)
            {
                return (double.NaN, double.NaN);
            }

            var sorted = _milliseconds.Order().ToArray();
            return (sorted[(int)(0.50 * (sorted.Length - 1))], sorted[(int)(0.99 * (sorted.Length - 1))]);
        }
    }
}
