namespace IotHub.City;

/// <summary>
/// Four subway lines like Toei's, with real station positions. Homes and jobs weights are rough:
/// outer residential stations and through-running termini start the morning trips, the central
/// business stations end them. Capacities are those of Toei's 8-car stock (about 130 persons in
/// a cab car, 140 in an intermediate car). The Shinjuku line is the busiest at the morning peak.
/// </summary>
internal static class ToeiLines
{
    public static SubwayLine Asakusa(int trains) => new(
        "asakusa",
        "Asakusa Line",
        [
            S("Nishi-magome", 35.5868, 139.7060, 6, 0.3), S("Magome", 35.5962, 139.7119, 2, 0.3), S("Nakanobu", 35.6056, 139.7129, 2, 0.4),
            S("Togoshi", 35.6145, 139.7165, 2, 0.4), S("Gotanda", 35.6260, 139.7235, 1.5, 2), S("Takanawadai", 35.6318, 139.7304, 1, 0.6),
            S("Sengakuji", 35.6386, 139.7400, 5, 1), S("Mita", 35.6480, 139.7470, 1, 3), S("Daimon", 35.6565, 139.7549, 0.5, 3),
            S("Shimbashi", 35.6654, 139.7588, 0.5, 5), S("Higashi-ginza", 35.6695, 139.7672, 0.3, 3), S("Takaracho", 35.6753, 139.7721, 0.3, 2),
            S("Nihombashi", 35.6820, 139.7750, 0.5, 4), S("Ningyocho", 35.6863, 139.7823, 0.5, 2), S("Higashi-nihombashi", 35.6921, 139.7848, 0.8, 1.5),
            S("Asakusabashi", 35.6974, 139.7862, 1, 1.5), S("Kuramae", 35.7030, 139.7910, 1, 1), S("Asakusa", 35.7109, 139.7967, 1.5, 1.5),
            S("Honjo-azumabashi", 35.7083, 139.8043, 1.5, 0.5), S("Oshiage", 35.7107, 139.8134, 6, 1),
        ],
        CarsPerTrain: 8,
        TrainCount: trains,
        StairsCars: [3, 6],
        EndCarCapacity: 130,
        MiddleCarCapacity: 140,
        PeakLoadFactor: 130,
        ScheduledSpeed: 32);

    public static SubwayLine Mita(int trains) => new(
        "mita",
        "Mita Line",
        [
            S("Meguro", 35.6339, 139.7156, 5, 1), S("Shirokanedai", 35.6377, 139.7262, 1, 0.5), S("Shirokane-takanawa", 35.6428, 139.7340, 1, 0.5),
            S("Mita", 35.6480, 139.7470, 0.5, 3), S("Shibakoen", 35.6543, 139.7496, 0.3, 2), S("Onarimon", 35.6608, 139.7513, 0.3, 2),
            S("Uchisaiwaicho", 35.6697, 139.7553, 0.3, 3), S("Hibiya", 35.6757, 139.7598, 0.3, 4), S("Otemachi", 35.6843, 139.7631, 0.5, 6),
            S("Jimbocho", 35.6960, 139.7577, 0.5, 3), S("Suidobashi", 35.7037, 139.7533, 0.5, 2), S("Kasuga", 35.7090, 139.7530, 1, 1.5),
            S("Hakusan", 35.7210, 139.7517, 1.5, 0.5), S("Sengoku", 35.7278, 139.7449, 1.5, 0.3), S("Sugamo", 35.7334, 139.7393, 2.5, 0.8),
            S("Nishi-sugamo", 35.7437, 139.7289, 1.5, 0.3), S("Shin-itabashi", 35.7488, 139.7192, 1.5, 0.3), S("Itabashi-kuyakushomae", 35.7512, 139.7094, 1.5, 0.4),
            S("Itabashi-honcho", 35.7612, 139.7011, 2, 0.3), S("Motohasunuma", 35.7700, 139.6955, 2, 0.3), S("Shimura-sakaue", 35.7759, 139.6953, 2, 0.3),
            S("Shimura-sanchome", 35.7777, 139.6865, 2, 0.3), S("Hasune", 35.7840, 139.6789, 2, 0.3), S("Nishidai", 35.7877, 139.6738, 2, 0.3),
            S("Takashimadaira", 35.7888, 139.6611, 3, 0.3), S("Shin-takashimadaira", 35.7904, 139.6539, 1.5, 0.2), S("Nishi-takashimadaira", 35.7915, 139.6460, 2, 0.2),
        ],
        CarsPerTrain: 6,
        TrainCount: trains,
        StairsCars: [2, 5],
        EndCarCapacity: 130,
        MiddleCarCapacity: 140,
        PeakLoadFactor: 145,
        ScheduledSpeed: 30);

    public static SubwayLine Shinjuku(int trains) => new(
        "shinjuku",
        "Shinjuku Line",
        [
            S("Shinjuku", 35.6896, 139.6995, 4, 4), S("Shinjuku-sanchome", 35.6906, 139.7061, 0.5, 2), S("Akebonobashi", 35.6925, 139.7230, 0.5, 1),
            S("Ichigaya", 35.6917, 139.7357, 0.5, 3), S("Kudanshita", 35.6955, 139.7514, 0.3, 3), S("Jimbocho", 35.6960, 139.7577, 0.3, 4),
            S("Ogawamachi", 35.6950, 139.7673, 0.3, 4), S("Iwamotocho", 35.6955, 139.7757, 0.3, 3), S("Bakuro-yokoyama", 35.6925, 139.7828, 0.5, 2),
            S("Hamacho", 35.6887, 139.7880, 0.5, 1.5), S("Morishita", 35.6880, 139.7973, 1, 1.5), S("Kikukawa", 35.6883, 139.8059, 1.5, 0.4),
            S("Sumiyoshi", 35.6895, 139.8155, 2, 1), S("Nishi-ojima", 35.6894, 139.8265, 2, 0.4), S("Ojima", 35.6899, 139.8359, 3, 0.3),
            S("Higashi-ojima", 35.6898, 139.8460, 3, 0.3), S("Funabori", 35.6836, 139.8640, 4, 0.3), S("Ichinoe", 35.6860, 139.8829, 3, 0.2),
            S("Mizue", 35.6932, 139.8975, 3, 0.2), S("Shinozaki", 35.7061, 139.9035, 3, 0.2), S("Motoyawata", 35.7213, 139.9270, 6, 0.3),
        ],
        CarsPerTrain: 8,
        TrainCount: trains,
        StairsCars: [4, 7],
        EndCarCapacity: 130,
        MiddleCarCapacity: 140,
        PeakLoadFactor: 160,
        ScheduledSpeed: 34);

    public static SubwayLine Oedo(int trains) => new(
        "oedo",
        "Oedo Line",
        [
            S("Hikarigaoka", 35.7582, 139.6287, 6, 0.3), S("Nerima-kasugacho", 35.7518, 139.6405, 3, 0.3), S("Toshimaen", 35.7420, 139.6479, 2, 0.3),
            S("Nerima", 35.7378, 139.6543, 3, 0.5), S("Shin-egota", 35.7240, 139.6708, 2, 0.3), S("Ochiai-minami-nagasaki", 35.7234, 139.6825, 2, 0.3),
            S("Nakai", 35.7157, 139.6875, 2, 0.4), S("Higashi-nakano", 35.7066, 139.6828, 2, 0.5), S("Nakano-sakaue", 35.6973, 139.6828, 1.5, 1),
            S("Nishi-shinjuku-gochome", 35.6900, 139.6857, 1, 1.5), S("Tochomae", 35.6905, 139.6925, 0.5, 5), S("Shinjuku", 35.6837, 139.6985, 1, 4),
            S("Yoyogi", 35.6831, 139.7021, 0.5, 2), S("Kokuritsu-kyogijo", 35.6797, 139.7147, 0.5, 1), S("Aoyama-itchome", 35.6727, 139.7240, 0.3, 3),
            S("Roppongi", 35.6634, 139.7326, 0.3, 4), S("Azabu-juban", 35.6554, 139.7362, 0.8, 1.5), S("Akabanebashi", 35.6551, 139.7430, 0.5, 2),
            S("Daimon", 35.6565, 139.7549, 0.3, 4), S("Shiodome", 35.6634, 139.7630, 0.3, 4), S("Tsukijishijo", 35.6653, 139.7685, 0.3, 2),
            S("Kachidoki", 35.6590, 139.7765, 2, 1), S("Tsukishima", 35.6648, 139.7840, 2, 0.8), S("Monzen-nakacho", 35.6718, 139.7967, 1.5, 1),
            S("Kiyosumi-shirakawa", 35.6820, 139.7990, 1.5, 0.5), S("Morishita", 35.6880, 139.7973, 1, 0.5), S("Ryogoku", 35.6966, 139.7978, 1, 1),
            S("Kuramae", 35.7030, 139.7910, 1, 0.8), S("Shin-okachimachi", 35.7076, 139.7818, 1, 1), S("Ueno-okachimachi", 35.7080, 139.7728, 1, 2),
            S("Hongo-sanchome", 35.7077, 139.7607, 0.8, 2), S("Kasuga", 35.7090, 139.7530, 0.8, 1.5), S("Iidabashi", 35.7019, 139.7451, 0.8, 3),
            S("Ushigome-kagurazaka", 35.6991, 139.7369, 0.8, 0.8), S("Ushigome-yanagicho", 35.6993, 139.7256, 1, 0.5), S("Wakamatsu-kawada", 35.6993, 139.7180, 1, 0.5),
            S("Higashi-shinjuku", 35.6980, 139.7076, 1, 1.5), S("Shinjuku-nishiguchi", 35.6931, 139.6990, 1, 4),
        ],
        CarsPerTrain: 8,
        TrainCount: trains,
        StairsCars: [3, 6],
        EndCarCapacity: 95,
        MiddleCarCapacity: 100,
        PeakLoadFactor: 150,
        ScheduledSpeed: 30);

    private static SubwayStation S(string name, double latitude, double longitude, double homes, double jobs) =>
        new(name, new GeoPoint(latitude, longitude), homes, jobs);
}
