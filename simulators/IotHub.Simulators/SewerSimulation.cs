using IotHub.City;

namespace IotHub.Simulators;

/// <summary>
/// Sewer pipes under the instrumented manholes. Local rain reaches the pipe through two short
/// linear reservoirs (surface and laterals, minutes each); on top of the dry-weather sewage flow
/// it fills the pipe, which is full at the district's design rainfall. Above that the pipe is
/// surcharged: full, pressurised, and unreadable by the cover's ultrasonic gauge.
/// </summary>
internal sealed class SewerSimulation
{
    private const double SurfaceTimeConstantHours = 3.0 / 60.0;
    private const double LateralTimeConstantHours = 5.0 / 60.0;

    // Hysteresis on the surcharge state: the pipe stays full until its flow falls clearly below capacity.
    private const double SurchargeClearRatio = 0.95;

    private readonly Manhole[] _manholes;
    private readonly double[] _designRainfall;
    private readonly double[] _capacityFactor;
    private readonly double[] _surface;
    private readonly double[] _lateral;
    private readonly double[] _flowRatio;
    private readonly bool[] _surcharged;

    public SewerSimulation(CityScenario scenario, int seed)
    {
        var manholes = new List<Manhole>();
        var design = new List<double>();
        foreach (var district in scenario.SewerDistricts)
        {
            foreach (var manhole in district.Manholes)
            {
                manholes.Add(manhole);
                design.Add(district.DesignRainfall);
            }
        }

        _manholes = [.. manholes];
        _designRainfall = [.. design];
        int count = _manholes.Length;
        _capacityFactor = new double[count];
        for (int i = 0; i < count; i++)
        {
            // Real pipes differ from their design (sediment, a larger catchment than planned): ±15 %.
            _capacityFactor[i] = 0.85 + (0.30 * SensorNoise.Uniform(seed, NoiseStream.SewerCapacity, i, 0));
        }

        _surface = new double[count];
        _lateral = new double[count];
        _flowRatio = new double[count];
        _surcharged = new bool[count];
    }

    public int Count => _manholes.Length;

    public Manhole Manhole(int manhole) => _manholes[manhole];

    /// <summary>Flow as a fraction of the pipe's full-bore capacity, sewage included.</summary>
    public double FlowRatio(int manhole) => _flowRatio[manhole];

    public bool Surcharged(int manhole) => _surcharged[manhole];

    public void Step(StormField storms, TimeSpan end, DateTimeOffset endTime, double stepHours)
    {
        var middle = end - TimeSpan.FromHours(stepHours / 2);
        double sewage = SewageProfile(TokyoTime.HourOfDay(endTime));
        bool dry = storms.IsDry;
        double surfaceFactor = 1 - Math.Exp(-stepHours / SurfaceTimeConstantHours);
        double lateralFactor = 1 - Math.Exp(-stepHours / LateralTimeConstantHours);
        for (int i = 0; i < _manholes.Length; i++)
        {
            double rain = dry ? 0 : storms.RainAt(_manholes[i].Location, middle);

            // Outflow of each reservoir in mm/h relaxes towards its inflow (exact for a constant input).
            _surface[i] += (rain - _surface[i]) * surfaceFactor;
            _lateral[i] += (_surface[i] - _lateral[i]) * lateralFactor;
            double ratio = (_manholes[i].DryWeatherFlowRatio * sewage) + (_lateral[i] / (_designRainfall[i] * _capacityFactor[i]));
            _flowRatio[i] = ratio;
            if (ratio >= 1)
            {
                _surcharged[i] = true;
            }
            else if (ratio < SurchargeClearRatio)
            {
                _surcharged[i] = false;
            }
        }
    }

    /// <summary>Sewage flow relative to its daily mean: low before dawn, peaks after breakfast and in the evening.</summary>
    public static double SewageProfile(double hour) =>
        0.45 + (0.9 * DailyProfile.Bell(hour, 8.0, 1.5)) + (0.6 * DailyProfile.Bell(hour, 20.0, 2.0)) + (0.3 * DailyProfile.Bell(hour, 13.0, 2.5));
}
