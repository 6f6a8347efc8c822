using System.Globalization;

namespace IotHub.City;

/// <summary>
/// The default, Tokyo-like city (DESIGN.md, Shin-Tosei): the seven flood-forecast rivers with
/// their gauges, 20 ward sewer districts with 40 instrumented manholes each, 30 Nishi-Shinjuku
/// smart poles, four Toei-like subway lines with ten instrumented trains each, and detectors on
/// the approaches of 20 arterial intersections. Positions are real to within a few hundred metres;
/// catchment areas and channel heights are plausible, not surveyed. Built deterministically.
/// </summary>
internal static class TokyoCity
{
    private const int ManholesPerDistrict = 40;
    private const int TrainsPerLine = 10;

    // Fixed: the city's layout does not depend on the simulation's seed.
    private const int LayoutSeed = 2021;

    public static CityScenario Build()
    {
        var layout = new Random(LayoutSeed);
        return new CityScenario(
            "tokyo",
            Rivers(),
            SewerDistricts(layout),
            SmartPoles(),
            [ToeiLines.Asakusa(TrainsPerLine), ToeiLines.Mita(TrainsPerLine), ToeiLines.Shinjuku(TrainsPerLine), ToeiLines.Oedo(TrainsPerLine)],
            Intersections(),
            [],
            randomStormsPerDay: 0.6);
    }

    private static List<River> Rivers() => new RiverNetworkBuilder()
        .Add(
            "kanda",
            "Kanda River",
            null,
            new GaugeSite("gauge-kanda-1", "Kugayama", 35.6885, 139.6003, 10, 3.5),
            new GaugeSite("gauge-kanda-2", "Wadami Bridge", 35.6925, 139.6480, 30, 4.0),
            new GaugeSite("gauge-kanda-3", "Suehiro Bridge", 35.6960, 139.6800, 45, 4.0),
            new GaugeSite("gauge-kanda-4", "Takadanobaba", 35.7125, 139.7040, 80, 4.5),
            new GaugeSite("gauge-kanda-5", "Edogawa Bridge", 35.7085, 139.7330, 92, 5.0),
            new GaugeSite("gauge-kanda-6", "Ochanomizu", 35.7005, 139.7640, 100, 6.0))
        .Add(
            "meguro",
            "Meguro River",
            null,
            new GaugeSite("gauge-meguro-1", "Ikejiri-ohashi", 35.6505, 139.6850, 25, 4.0),
            new GaugeSite("gauge-meguro-2", "Naka-meguro", 35.6440, 139.6990, 30, 4.0),
            new GaugeSite("gauge-meguro-3", "Tarokichi Bridge", 35.6335, 139.7130, 38, 4.5),
            new GaugeSite("gauge-meguro-4", "Osaki", 35.6215, 139.7300, 42, 5.0),
            new GaugeSite("gauge-meguro-5", "Tennozu", 35.6220, 139.7470, 45, 5.5))
        .Add(
            "shibuya",
            "Shibuya River",
            "gauge-furukawa-1",
            new GaugeSite("gauge-shibuya-1", "Shibuya Station", 35.6575, 139.7030, 8, 3.5),
            new GaugeSite("gauge-shibuya-2", "Namiki Bridge", 35.6540, 139.7100, 10, 3.5))
        .Add(
            "furukawa",
            "Furukawa River",
            null,
            new GaugeSite("gauge-furukawa-1", "Tengenji Bridge", 35.6495, 139.7250, 14, 4.0),
            new GaugeSite("gauge-furukawa-2", "Ichino Bridge", 35.6545, 139.7385, 18, 4.0),
            new GaugeSite("gauge-furukawa-3", "Hamamatsucho", 35.6520, 139.7560, 23, 4.5))
        .Add(
            "nogawa",
            "Nogawa River",
            null,
            new GaugeSite("gauge-nogawa-1", "Nogawa Park", 35.6790, 139.5250, 12, 3.0),
            new GaugeSite("gauge-nogawa-2", "Osawa", 35.6700, 139.5480, 20, 3.0),
            new GaugeSite("gauge-nogawa-3", "Kitami", 35.6330, 139.6040, 38, 3.5),
            new GaugeSite("gauge-nogawa-4", "Kamanota", 35.6150, 139.6250, 70, 4.0))
        .Add(
            "sengawa",
            "Sengawa River",
            "gauge-nogawa-4",
            new GaugeSite("gauge-sengawa-1", "Shinkawa", 35.6800, 139.5840, 8, 3.0),
            new GaugeSite("gauge-sengawa-2", "Sengawa", 35.6650, 139.5850, 12, 3.0),
            new GaugeSite("gauge-sengawa-3", "Seijo", 35.6420, 139.5990, 18, 3.5))
        .Add(
            "shin-shiba",
            "Shin-Shiba River",
            null,
            new GaugeSite("gauge-shin-shiba-1", "Ryoke", 35.8080, 139.7370, 15, 3.5),
            new GaugeSite("gauge-shin-shiba-2", "Iwabuchi", 35.7850, 139.7250, 25, 4.0))
        .Build();

    private static List<SewerDistrict> SewerDistricts(Random layout)
    {
        // Ward, centre, design rainfall: 75 mm/h in the priority districts around the big stations.
        (string Id, string Name, double Latitude, double Longitude, double Design)[] wards =
        [
            ("chiyoda", "Chiyoda", 35.6940, 139.7536, 50), ("chuo", "Chuo", 35.6707, 139.7720, 50),
            ("minato", "Minato", 35.6581, 139.7516, 50), ("shinjuku", "Shinjuku", 35.6938, 139.7034, 75),
            ("bunkyo", "Bunkyo", 35.7081, 139.7524, 50), ("taito", "Taito", 35.7126, 139.7800, 50),
            ("sumida", "Sumida", 35.7107, 139.8015, 50), ("koto", "Koto", 35.6730, 139.8171, 50),
            ("shinagawa", "Shinagawa", 35.6092, 139.7303, 50), ("meguro", "Meguro", 35.6413, 139.6980, 75),
            ("ota", "Ota", 35.5613, 139.7160, 50), ("setagaya", "Setagaya", 35.6466, 139.6532, 50),
            ("shibuya", "Shibuya", 35.6640, 139.6982, 75), ("nakano", "Nakano", 35.7074, 139.6638, 75),
            ("suginami", "Suginami", 35.6994, 139.6364, 75), ("toshima", "Toshima", 35.7263, 139.7167, 75),
            ("kita", "Kita", 35.7528, 139.7337, 50), ("arakawa", "Arakawa", 35.7361, 139.7834, 50),
            ("itabashi", "Itabashi", 35.7512, 139.7092, 50), ("nerima", "Nerima", 35.7356, 139.6517, 50),
        ];
        double[] diameters = [0.6, 0.8, 1.0, 1.2, 1.5, 2.0];

        var districts = new List<SewerDistrict>(wards.Length);
        foreach (var ward in wards)
        {
            var centre = new GeoPoint(ward.Latitude, ward.Longitude);
            var manholes = new List<Manhole>(ManholesPerDistrict);
            for (int i = 1; i <= ManholesPerDistrict; i++)
            {
                // Spread over about 2 km around the ward office.
                double east = (layout.NextDouble() - 0.5) * 3.0;
                double north = (layout.NextDouble() - 0.5) * 3.0;
                double diameter = diameters[layout.Next(diameters.Length)];
                double dryRatio = 0.06 + (layout.NextDouble() * 0.09);
                string number = i.ToString(CultureInfo.InvariantCulture);
                manholes.Add(new Manhole($"manhole-{ward.Id}-{number}", $"{ward.Name} manhole {number}", centre.Offset(east, north), diameter, dryRatio));
            }

            districts.Add(new SewerDistrict(ward.Id, ward.Name, centre, ward.Design, manholes));
        }

        return districts;
    }

    private static List<SmartPole> SmartPoles()
    {
        // A 6 x 5 grid over the Nishi-Shinjuku skyscraper district, Tochomae to the station's west exit.
        var station = new GeoPoint(35.6896, 139.7006);
        var poles = new List<SmartPole>(30);
        int number = 0;
        for (int row = 0; row < 5; row++)
        {
            for (int column = 0; column < 6; column++)
            {
                number++;
                var location = new GeoPoint(35.6865 + (row * 0.00175), 139.6880 + (column * 0.0020));
                double peak = 20 + (80 * Math.Exp(-location.DistanceKm(station) / 0.5));
                string id = number.ToString("00", CultureInfo.InvariantCulture);
                poles.Add(new SmartPole($"pole-nishi-shinjuku-{id}", $"Nishi-Shinjuku pole {id}", location, Math.Round(peak)));
            }
        }

        return poles;
    }

    private static Intersection[] Intersections()
    {
        static Intersection I(string id, string name, string road, double latitude, double longitude, int lanes, double peakDemand, int cycleSeconds, double greenSplit) =>
            new(id, name, road, new GeoPoint(latitude, longitude), lanes, peakDemand, TimeSpan.FromSeconds(cycleSeconds), greenSplit, 150);

        return
        [
            I("koshu-hatsudai", "Koshu-kaido at Hatsudai", "koshu-kaido", 35.6812, 139.6868, 3, 850, 120, 0.48),
            I("koshu-sasazuka", "Koshu-kaido at Sasazuka", "koshu-kaido", 35.6738, 139.6672, 3, 820, 120, 0.46),
            I("koshu-ohara", "Koshu-kaido at Ohara (Kan-nana)", "koshu-kaido", 35.6720, 139.6520, 3, 900, 140, 0.45),
            I("koshu-kamitakaido", "Koshu-kaido at Kamitakaido (Kan-pachi)", "koshu-kaido", 35.6715, 139.6145, 2, 880, 140, 0.44),
            I("ome-nakano-sakaue", "Ome-kaido at Nakano-sakaue", "ome-kaido", 35.6975, 139.6830, 3, 840, 120, 0.47),
            I("ome-koenji", "Ome-kaido at Koenji-minami (Kan-nana)", "ome-kaido", 35.6985, 139.6500, 2, 860, 140, 0.45),
            I("ome-ogikubo", "Ome-kaido at Ogikubo", "ome-kaido", 35.7040, 139.6210, 2, 780, 120, 0.48),
            I("yamate-ohashi", "Yamate-dori at Ohashi", "yamate-dori", 35.6520, 139.6850, 2, 800, 120, 0.46),
            I("yamate-higashi-nakano", "Yamate-dori at Higashi-nakano", "yamate-dori", 35.7060, 139.6830, 2, 760, 110, 0.48),
            I("meiji-shibuya", "Meiji-dori at Shibuya", "meiji-dori", 35.6590, 139.7040, 2, 820, 120, 0.45),
            I("meiji-shinjuku", "Meiji-dori at Shinjuku 7-chome", "meiji-dori", 35.6980, 139.7070, 2, 800, 120, 0.46),
            I("meiji-ikebukuro", "Meiji-dori at Ikebukuro", "meiji-dori", 35.7290, 139.7140, 2, 780, 120, 0.47),
            I("aoyama-itchome", "Aoyama-dori at Aoyama-itchome", "aoyama-dori", 35.6727, 139.7240, 3, 860, 130, 0.47),
            I("tamagawa-sangenjaya", "Tamagawa-dori at Sangenjaya", "tamagawa-dori", 35.6435, 139.6700, 2, 900, 140, 0.44),
            I("sotobori-akasaka", "Sotobori-dori at Akasaka-mitsuke", "sotobori-dori", 35.6770, 139.7370, 2, 760, 110, 0.48),
            I("hibiya-uchisaiwaicho", "Hibiya-dori at Uchisaiwaicho", "hibiya-dori", 35.6697, 139.7553, 3, 820, 120, 0.47),
            I("shinjuku-yotsuya", "Shinjuku-dori at Yotsuya", "shinjuku-dori", 35.6860, 139.7300, 2, 780, 120, 0.48),
            I("kasuga-kasuga", "Kasuga-dori at Kasuga", "kasuga-dori", 35.7090, 139.7530, 2, 760, 110, 0.48),
            I("mejiro-ochiai", "Mejiro-dori at Ochiai", "mejiro-dori", 35.7150, 139.6950, 2, 740, 110, 0.49),
            I("keihin-gotanda", "Dai-ichi Keihin at Gotanda", "dai-ichi-keihin", 35.6260, 139.7230, 3, 880, 130, 0.46),
        ];
    }
}
