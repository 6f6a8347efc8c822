using System.Diagnostics;

namespace IotHub.Forecasting;

/// <summary>
/// Measures a training: wall time, and the process's CPU time over it (the machine's cores may be
/// shared, so wall time alone overstates what the training costs). The last measured CPU time is
/// kept in <see cref="LastCpuSeconds"/>.
/// </summary>
internal readonly struct TrainingClock
{
    private static double _lastCpuSeconds;
    private readonly long _started;
    private readonly TimeSpan _cpu;

    private TrainingClock(long started, TimeSpan cpu)
    {
        _started = started;
        _cpu = cpu;
    }

    /// <summary>CPU seconds of the last training measured.</summary>
    public static double LastCpuSeconds => Volatile.Read(ref _lastCpuSeconds);

    public static TrainingClock Start() => new(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime);

    /// <summary>Wall seconds since <see cref="Start"/>; the CPU seconds go to <see cref="LastCpuSeconds"/>.</summary>
    public double Stop()
    {
        Volatile.Write(ref _lastCpuSeconds, (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds);
        return Stopwatch.GetElapsedTime(_started).TotalSeconds;
    }
}
