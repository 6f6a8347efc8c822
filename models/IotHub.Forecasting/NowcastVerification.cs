using IotHub.City;
using IotHub.Simulators;

namespace IotHub.Forecasting;

/// <summary>Skill of one nowcast variant at one lead: the 10 minutes ending <see cref="LeadMinutes"/> ahead.</summary>
/// <param name="LeadMinutes">End of the 10-minute interval forecast, minutes after the issue.</param>
/// <param name="Correlation">Pearson correlation of forecast and actual catchment rain over the intervals where either is at least 0.1 mm.</param>
/// <param name="Csi">Critical success index (threat score) for at least 1 mm in the 10 minutes (6 mm/h).</param>
/// <param name="Samples">Intervals with rain in either.</param>
internal sealed record NowcastSkill(int LeadMinutes, double Correlation, double Csi, int Samples);

/// <summary>A nowcast variant's skill by lead, and the lifetime fitted to its correlation (1/e decorrelation, minutes).</summary>
internal sealed record NowcastVerificationRow(string Variant, IReadOnlyList<NowcastSkill> Skill, double LifetimeMinutes);

/// <summary>
/// Verifies nowcasts of every local catchment's 10-minute rain (half at the gauge, half at the catchment's centre, as the river
/// physics samples it) against what then fell, issued every 10 minutes: the radar nowcast with each of the given errors, and
/// Eulerian persistence (the last 10 minutes' rain going on) for comparison. This is how the radar nowcast's errors were
/// calibrated (RESULTS-forecast.md); it reads the simulator's true rain, so it is a verification, never a feature.
/// </summary>
internal static class NowcastVerification
{
    private const int Leads = 6;
    private const double RainyMillimetres = 0.1;
    private const double CsiMillimetres = 1.0;

    public static IReadOnlyList<NowcastVerificationRow> Run(CityScenario city, int seed, DateTimeOffset start, int days, IReadOnlyList<(string Name, RadarNowcastErrors Errors)> variants)
    {
        var scenario = new CityScenario(city.Name + "-rain", city.Rivers, [], [], [], [], city.ScheduledStorms, city.RandomStormsPerDay);
        var sim = new CitySimulation(scenario, seed, start);
        var catchments = city.Rivers.SelectMany(r => r.Gauges).Select(g => (g.Location, g.CatchmentCentre)).ToArray();
        int rows = days * 144;
        int n = catchments.Length;

        // actual[row][catchment]: rain in the 10 minutes after the row; forecast[variant][row][catchment][lead].
        var actual = new double[rows][];
        var forecast = new double[variants.Count][][][];
        for (int v = 0; v < variants.Count; v++)
        {
            forecast[v] = new double[rows][][];
        }

        var step = TimeSpan.FromMinutes(10);
        for (int i = 0; i < rows; i++)
        {
            var issued = start + (step * i);
            sim.AdvanceTo(issued);
            for (int v = 0; v < variants.Count; v++)
            {
                forecast[v][i] = new double[n][];
                for (int c = 0; c < n; c++)
                {
                    var f = new double[Leads];
                    for (int lead = 0; lead < Leads; lead++)
                    {
                        f[lead] = Amount(minute => 0.5 * (sim.RainNowcastAt(catchments[c].Location, (lead * 10) + minute, variants[v].Errors) + sim.RainNowcastAt(catchments[c].CatchmentCentre, (lead * 10) + minute, variants[v].Errors)));
                    }

                    forecast[v][i][c] = f;
                }
            }

            actual[i] = new double[n];
            for (int sample = 0; sample < 5; sample++)
            {
                sim.AdvanceTo(issued + TimeSpan.FromMinutes(1 + (2 * sample)));
                for (int c = 0; c < n; c++)
                {
                    actual[i][c] += 0.5 * (sim.RainAt(catchments[c].Location) + sim.RainAt(catchments[c].CatchmentCentre)) / 5 / 6;
                }
            }
        }

        var result = new List<NowcastVerificationRow>();
        for (int v = 0; v < variants.Count; v++)
        {
            var f = forecast[v];
            result.Add(Row(variants[v].Name, rows, n, actual, (i, c, lead) => f[i][c][lead]));
        }

        result.Add(Row("Eulerian persistence (last 10 min going on)", rows, n, actual, (i, c, lead) => i > 0 ? actual[i - 1][c] : 0));
        return result;
    }

    private static double Amount(Func<double, double> rateAt)
    {
        // Five rates at 1, 3, 5, 7 and 9 minutes into the interval, mm/h, to mm in 10 minutes.
        double sum = 0;
        for (int sample = 0; sample < 5; sample++)
        {
            sum += rateAt(1 + (2 * sample));
        }

        return sum / 5 / 6;
    }

    private static NowcastVerificationRow Row(string name, int rows, int n, double[][] actual, Func<int, int, int, double> forecastAt)
    {
        var skill = new List<NowcastSkill>();
        double numerator = 0, denominator = 0;
        for (int lead = 0; lead < Leads; lead++)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            int hits = 0, misses = 0, falseAlarms = 0;
            for (int i = 0; i + lead < rows; i++)
            {
                for (int c = 0; c < n; c++)
                {
                    double f = forecastAt(i, c, lead), a = actual[i + lead][c];
                    if (f >= RainyMillimetres || a >= RainyMillimetres)
                    {
                        xs.Add(f);
                        ys.Add(a);
                    }

                    bool forecastYes = f >= CsiMillimetres, actualYes = a >= CsiMillimetres;
                    hits += forecastYes && actualYes ? 1 : 0;
                    misses += !forecastYes && actualYes ? 1 : 0;
                    falseAlarms += forecastYes && !actualYes ? 1 : 0;
                }
            }

            double r = Correlation(xs, ys);
            double csi = hits + misses + falseAlarms > 0 ? (double)hits / (hits + misses + falseAlarms) : double.NaN;
            int leadMinutes = (lead + 1) * 10;
            skill.Add(new NowcastSkill(leadMinutes, r, csi, xs.Count));

            // ln r = -t / lifetime through the origin, t the interval's middle.
            if (r > 0)
            {
                double t = leadMinutes - 5;
                numerator += t * t;
                denominator -= t * Math.Log(r);
            }
        }

        return new NowcastVerificationRow(name, skill, denominator > 0 ? numerator / denominator : double.PositiveInfinity);
    }

    private static double Correlation(List<double> x, List<double> y)
    {
        if (x.Count < 2)
        {
            return double.NaN;
        }

        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }
}
