namespace IotHub.City;

/// <summary>
/// Turns gauge sites into a routed river network: local catchment areas from the differences of
/// upstream areas, travel times from distances, thresholds from bank heights and rating curves
/// calibrated so that the channel carries its design flow (50 mm/h) at the flood danger level.
/// </summary>
internal sealed class RiverNetworkBuilder
{
    // Tokyo's small rivers are being improved to carry 50 mm/h (75 mm/h in places).
    private const double DesignRainfall = 50.0;
    private const double RunoffCoefficient = 0.6;

    // Flood wave speed in a steep, walled urban channel, m/s, and how much longer the channel is than the straight line.
    private const double WaveSpeed = 2.5;
    private const double Meander = 1.25;

    private const double RatingExponent = 1.6;
    private const double ZeroFlowLevel = 0.2;

    private readonly List<(string Id, string Name, List<GaugeSite> Sites, string? DrainsInto)> _rivers = [];

    /// <summary>Adds a river; its last gauge drains into <paramref name="drainsIntoGaugeId"/> when given (a tributary).</summary>
    public RiverNetworkBuilder Add(string id, string name, string? drainsIntoGaugeId, params GaugeSite[] sites)
    {
        _rivers.Add((id, name, [.. sites], drainsIntoGaugeId));
        return this;
    }

    public List<River> Build()
    {
        var sites = new Dictionary<string, GaugeSite>(StringComparer.Ordinal);
        var downstream = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var river in _rivers)
        {
            for (int i = 0; i < river.Sites.Count; i++)
            {
                sites.Add(river.Sites[i].DeviceId, river.Sites[i]);
                downstream[river.Sites[i].DeviceId] = i + 1 < river.Sites.Count ? river.Sites[i + 1].DeviceId : river.DrainsInto;
            }
        }

        var rivers = new List<River>(_rivers.Count);
        foreach (var river in _rivers)
        {
            var gauges = new List<RiverGauge>(river.Sites.Count);
            foreach (var site in river.Sites)
            {
                // Local area: what drains here without passing an upstream gauge. The first gauge's
                // catchment centre is taken a little upstream of it, the others' halfway to the gauges above.
                double upstreamOfOthers = 0;
                double latSum = 0, lonSum = 0;
                int upstreamCount = 0;
                foreach (var (otherId, target) in downstream)
                {
                    if (string.Equals(target, site.DeviceId, StringComparison.Ordinal))
                    {
                        var other = sites[otherId];
                        upstreamOfOthers += other.UpstreamArea;
                        latSum += other.Latitude;
                        lonSum += other.Longitude;
                        upstreamCount++;
                    }
                }

                var location = new GeoPoint(site.Latitude, site.Longitude);
                var centre = upstreamCount > 0
                    ? new GeoPoint((site.Latitude + (latSum / upstreamCount)) / 2, (site.Longitude + (lonSum / upstreamCount)) / 2)
                    : location.Offset(-1.5, 0.3);
                double localArea = Math.Max(1.0, site.UpstreamArea - upstreamOfOthers);

                string? next = downstream[site.DeviceId];
                var travel = TimeSpan.Zero;
                if (next is not null)
                {
                    var target = sites[next];
                    double metres = location.DistanceKm(new GeoPoint(target.Latitude, target.Longitude)) * 1000 * Meander;
                    travel = TimeSpan.FromMinutes(Math.Max(5, Math.Round(metres / WaveSpeed / 60)));
                }

                var thresholds = new GaugeThresholds(
                    Round(site.BankHeight * 0.40),
                    Round(site.BankHeight * 0.60),
                    Round(site.BankHeight * 0.72),
                    Round(site.BankHeight * 0.82));
                // Design flow by the rational formula, reduced for bigger catchments (areal reduction and
                // routing attenuation: peak flow per km2 falls roughly as area^-0.2 above 10 km2).
                double areaReduction = Math.Min(1.0, Math.Pow(site.UpstreamArea / 10.0, -0.2));
                double designFlow = RunoffCoefficient * DesignRainfall * site.UpstreamArea / 3.6 * areaReduction;
                double coefficient = designFlow / Math.Pow(thresholds.FloodDanger - ZeroFlowLevel, RatingExponent);

                // Dry-weather flow of Tokyo's small rivers: springs and treated water, about 0.02 m3/s per km2.
                double baseFlow = 0.02 * localArea;

                // Bigger local catchments respond more slowly.
                var timeConstant = TimeSpan.FromMinutes(Math.Round(8 + (0.25 * localArea)));

                gauges.Add(new RiverGauge(
                    site.DeviceId,
                    site.Name,
                    location,
                    centre,
                    localArea,
                    RunoffCoefficient,
                    timeConstant,
                    baseFlow,
                    new RatingCurve(ZeroFlowLevel, coefficient, RatingExponent),
                    thresholds,
                    next,
                    travel));
            }

            rivers.Add(new River(river.Id, river.Name, gauges));
        }

        return rivers;
    }

    private static double Round(double metres) => Math.Round(metres * 20) / 20;
}
