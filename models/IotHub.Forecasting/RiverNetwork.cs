using IotHub.City;

namespace IotHub.Forecasting;

/// <summary>The gauges of a city as the river features see them: upstream links with travel times, neighbouring rain gauges.</summary>
internal sealed class RiverNetwork
{
    // Rain gauges this close inform a gauge's "rain nearby"; those west of it (cells mostly drift east) its "rain coming".
    private const double NearKm = 8;
    private const double WestKm = 15;

    public RiverNetwork(CityScenario scenario)
    {
        var gauges = new List<RiverGauge>();
        foreach (var river in scenario.Rivers)
        {
            gauges.AddRange(river.Gauges);
        }

        Gauges = [.. gauges];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Gauges.Length; i++)
        {
            index.Add(Gauges[i].DeviceId, i);
        }

        Index = index;
        Upstream = new int[Gauges.Length][];
        Near = new int[Gauges.Length][];
        West = new int[Gauges.Length][];
        UpstreamArea = new double[Gauges.Length];
        DesignFlow = new double[Gauges.Length];
        var upstream = new List<int>[Gauges.Length];
        for (int i = 0; i < Gauges.Length; i++)
        {
            upstream[i] = [];
        }

        for (int i = 0; i < Gauges.Length; i++)
        {
            if (Gauges[i].DownstreamGaugeId is { } down && index.TryGetValue(down, out int d))
            {
                upstream[d].Add(i);
            }
        }

        for (int i = 0; i < Gauges.Length; i++)
        {
            Upstream[i] = [.. upstream[i]];
            DesignFlow[i] = Math.Max(0.1, Gauges[i].Rating.Flow(Gauges[i].Thresholds.FloodDanger));
            var near = new List<int>();
            var west = new List<int>();
            for (int j = 0; j < Gauges.Length; j++)
            {
                var (east, north) = Gauges[i].Location.OffsetKm(Gauges[j].Location);
                if (Math.Sqrt((east * east) + (north * north)) <= NearKm)
                {
                    near.Add(j);
                }

                if (east < -1 && east > -WestKm && Math.Abs(north) < 8)
                {
                    west.Add(j);
                }
            }

            Near[i] = [.. near];
            West[i] = [.. west];
        }

        for (int i = 0; i < Gauges.Length; i++)
        {
            UpstreamArea[i] = AreaAbove(i);
        }
    }

    public RiverGauge[] Gauges { get; }

    public IReadOnlyDictionary<string, int> Index { get; }

    /// <summary>Gauges whose flow reaches each gauge next.</summary>
    public int[][] Upstream { get; }

    public int[][] Near { get; }

    public int[][] West { get; }

    public double[] UpstreamArea { get; }

    /// <summary>Flow at flood danger, m3/s: flows are divided by it so gauges of every size share one model.</summary>
    public double[] DesignFlow { get; }

    /// <summary>Travel time from <paramref name="gauge"/> to the next gauge, in rows of <paramref name="step"/>.</summary>
    public double LagSteps(int gauge, TimeSpan step) => Gauges[gauge].TravelTimeDownstream / step;

    private double AreaAbove(int gauge)
    {
        double area = Gauges[gauge].LocalCatchmentArea;
        foreach (int u in Upstream[gauge])
        {
            area += AreaAbove(u);
        }

        return area;
    }
}
