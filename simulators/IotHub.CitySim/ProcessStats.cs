using System.Globalization;

namespace IotHub.CitySim;

/// <summary>CPU time and resident memory of a process, from Linux's <c>/proc/PID/stat</c> and <c>/proc/PID/status</c>.</summary>
internal sealed class ProcessStats(int pid)
{
    // USER_HZ: clock ticks per second in /proc/PID/stat; 100 on every Linux build that matters here.
    private const double TicksPerSecond = 100.0;

    private double _lastCpuSeconds = double.NaN;
    private DateTimeOffset _lastAt;

    public int Pid => pid;

    /// <summary>Total CPU (user + system) in seconds, or NaN when the process is gone.</summary>
    public double CpuSeconds()
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");

            // The command name is in parentheses and may hold spaces: fields count from after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 (utime) and 15 (stime) of proc(5); the split starts at field 3 (state).
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Resident set size in MiB (VmRSS), or NaN when the process is gone.</summary>
    public double RssMiB() => StatusKiB("VmRSS:") / 1024.0;

    /// <summary>Peak resident set size in MiB (VmHWM).</summary>
    public double PeakRssMiB() => StatusKiB("VmHWM:") / 1024.0;

    /// <summary>Threads of the process.</summary>
    public double Threads() => StatusKiB("Threads:");

    /// <summary>CPU use since the last call, in % of one core (200% = both cores of this machine).</summary>
    public double CpuPercentSinceLast(DateTimeOffset now)
    {
        double cpu = CpuSeconds();
        double percent = double.IsNaN(_lastCpuSeconds) ? double.NaN : (cpu - _lastCpuSeconds) / (now - _lastAt).TotalSeconds * 100;
        _lastCpuSeconds = cpu;
        _lastAt = now;
        return percent;
    }

    private double StatusKiB(string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var value = line[key.Length..].Trim();
                    int space = value.IndexOf(' ', StringComparison.Ordinal);
                    return double.Parse(space > 0 ? value[..space] : value, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return double.NaN;
    }
}
