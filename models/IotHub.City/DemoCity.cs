namespace IotHub.City;

/// <summary>
/// The demo city: two Kanda gauges (upstream, downstream), two Shinjuku manholes, two
/// Nishi-Shinjuku poles, one 8-car Shinjuku Line train and a two-lane Koshu-kaido approach.
/// A storm cell of 85 mm/h crosses them from the west starting two minutes after the start,
/// so the demo shows rain, sewers filling and rivers rising within its first half hour.
/// </summary>
internal static class DemoCity
{
    public static CityScenario Build()
    {
        var rivers = new RiverNetworkBuilder()
            .Add(
                "kanda",
                "Kanda River",
                null,
                new GaugeSite("gauge-kanda-1", "Wadami Bridge", 35.6925, 139.6480, 30, 4.0),
                new GaugeSite("gauge-kanda-2", "Takadanobaba", 35.7125, 139.7040, 75, 4.5))
            .Build();

        SewerDistrict[] sewers =
        [
            new("shinjuku", "Shinjuku", new GeoPoint(35.6938, 139.7034), 75,
            [
                new Manhole("manhole-shinjuku-1", "Shinjuku, Ome-kaido under Shinjuku 7-chome", new GeoPoint(35.6975, 139.7080), 1.2, 0.12),
                new Manhole("manhole-shinjuku-2", "Shinjuku, Nishi-Shinjuku 3-chome", new GeoPoint(35.6855, 139.6885), 0.8, 0.10),
            ]),
        ];

        SmartPole[] poles =
        [
            new("pole-nishi-shinjuku-1", "Nishi-Shinjuku, Chuo-dori at Tochomae", new GeoPoint(35.6899, 139.6930), 60),
            new("pole-nishi-shinjuku-2", "Nishi-Shinjuku, 4-go-dori at Shinjuku Central Park", new GeoPoint(35.6880, 139.6895), 35),
        ];

        Intersection[] intersections =
        [
            new("koshu-hatsudai", "Koshu-kaido at Hatsudai", "koshu-kaido", new GeoPoint(35.6812, 139.6868), 2, 850, TimeSpan.FromSeconds(120), 0.48, 150),
        ];

        StormCell[] storms =
        [
            new(TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(75), new GeoPoint(35.6980, 139.6050), 14, 0.5, 85, 3.5),
        ];

        return new CityScenario("demo", rivers, sewers, poles, [ToeiLines.Shinjuku(trains: 1)], intersections, storms, randomStormsPerDay: 0.5);
    }
}
