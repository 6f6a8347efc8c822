namespace IotHub.Simulators;

/// <summary>
/// A rain gauge's record: rain per step over the last 24 hours in a ring, with running sums for
/// the 10-minute and 24-hour totals (DOMAIN.md: rainfall is reported as 10-min, hourly and 24 h).
/// </summary>
internal sealed class RainRecord
{
    private readonly double[] _steps;
    private readonly int _tenMinuteSteps;
    private int _position;
    private double _last10Minutes;
    private double _last24Hours;

    public RainRecord(TimeSpan step)
    {
        _steps = new double[Math.Max(1, (int)Math.Round(TimeSpan.FromHours(24) / step))];
        _tenMinuteSteps = Math.Clamp((int)Math.Round(TimeSpan.FromMinutes(10) / step), 1, _steps.Length);
    }

    /// <summary>Rain in the last 10 minutes, mm.</summary>
    public double Last10Minutes => Math.Max(0, _last10Minutes);

    /// <summary>Rain in the last 24 hours, mm.</summary>
    public double Last24Hours => Math.Max(0, _last24Hours);

    /// <summary>Records the rain of the step just ended, mm.</summary>
    public void Add(double millimetres)
    {
        _position = (_position + 1) % _steps.Length;
        _last24Hours += millimetres - _steps[_position];
        int leaving = (_position - _tenMinuteSteps + _steps.Length) % _steps.Length;
        _last10Minutes += millimetres - _steps[leaving];
        _steps[_position] = millimetres;

        // Running sums drift by rounding over months of steps; resynchronise once per lap.
        if (_position == 0)
        {
            _last24Hours = 0;
            foreach (double value in _steps)
            {
                _last24Hours += value;
            }
        }
    }
}
