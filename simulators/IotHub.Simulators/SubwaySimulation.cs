using IotHub.City;

namespace IotHub.Simulators;

/// <summary>
/// Trains shuttling along their lines and the load in each car.
/// <para>
/// Demand: a gravity model of trips between stations for three patterns (weekday morning:
/// homes to jobs; evening: jobs to homes; off-peak: both ways) gives the load on every section
/// in both directions; daily profiles (weekday peaks at 08:00 and 18:30, lighter weekends) weight
/// the patterns, scaled so the busiest section carries the line's peak load factor at 08:00 on a
/// weekday. Cars stopping at the stairs are fuller, end cars emptier.
/// </para>
/// <para>
/// Trains run evenly spaced from 05:00 to 00:30 JST at the line's scheduled speed, with four-minute
/// layovers at the termini; outside service they stand empty at the first terminus. A car
/// reports the load it left its last station with, so the value is a function of the clock alone.
/// </para>
/// </summary>
internal sealed class SubwaySimulation
{
    private const double KilogramsPerPerson = 55;
    private const double ServiceStartHour = 5.0;
    private const double ServiceHours = 19.5;
    private const double LayoverSeconds = 240;

    // Tracks wind: the train runs about a tenth further than the straight line between stations.
    private const double TrackFactor = 1.1;

    private readonly int _seed;
    private readonly LineModel[] _lines;
    private readonly (int Line, int Train, int Car)[] _cars;

    public SubwaySimulation(CityScenario scenario, int seed)
    {
        _seed = seed;
        _lines = new LineModel[scenario.SubwayLines.Count];
        var cars = new List<(int, int, int)>();
        for (int l = 0; l < _lines.Length; l++)
        {
            var line = scenario.SubwayLines[l];
            _lines[l] = new LineModel(line);
            for (int train = 1; train <= line.TrainCount; train++)
            {
                for (int car = 1; car <= line.CarsPerTrain; car++)
                {
                    cars.Add((l, train, car));
                }
            }
        }

        _cars = [.. cars];
    }

    public int Count => _cars.Length;

    /// <summary>The car's readings at <paramref name="now"/>: load (kg), passengers, 乗車率 (%), station.</summary>
    public (double Load, long Passengers, double LoadFactor, string Station) Read(int carIndex, DateTimeOffset now)
    {
        var (l, train, car) = _cars[carIndex];
        var model = _lines[l];
        var line = model.Line;
        double hour = TokyoTime.HourOfDay(now);
        bool weekend = TokyoTime.IsWeekend(now);
        long day = TokyoTime.DayNumber(now);

        // Hours since the service day began at 05:00 (the service day runs past midnight).
        double serviceHour = hour - ServiceStartHour;
        if (serviceHour < 0)
        {
            serviceHour += 24;
            day--;
        }

        double loadFactor;
        string station;
        long departure;
        if (serviceHour >= ServiceHours)
        {
            station = line.Stations[0].Name;
            loadFactor = 0;
            departure = -1;
        }
        else
        {
            double spacing = model.CycleSeconds / line.TrainCount;
            double position = ((serviceHour * 3600) + ((train - 1) * spacing)) % model.CycleSeconds;
            long lap = (long)(((serviceHour * 3600) + ((train - 1) * spacing)) / model.CycleSeconds);
            (station, loadFactor, departure) = model.Where(position, DemandWeights(hour, weekend));
            departure += lap * 1000;
        }

        // A train's load differs from day to day and from departure to departure.
        int trainKey = (l * 1000) + train;
        double trainDay = 1 + Math.Clamp(0.03 * SensorNoise.Gaussian(_seed, NoiseStream.TrainDay, trainKey, day), -0.06, 0.06);
        double thisDeparture = 1 + Math.Clamp(0.015 * SensorNoise.Gaussian(_seed, NoiseStream.TrainCar, trainKey, (day * 100000) + departure), -0.03, 0.03);
        int capacity = line.CarCapacity(car);
        double persons = loadFactor / 100 * capacity * model.CarWeight(car) * trainDay * thisDeparture;

        // Air-spring load sensor: a zero offset of 30-50 kg per car (tare drift) and about ±10 kg of noise
        // (the car rocks on its springs); the offset exceeds the noise's bound, so an empty car still reads, and varies.
        double zeroOffset = 30 + (20 * SensorNoise.Uniform(_seed, NoiseStream.TrainCar + 2, carIndex, 0));
        double sensorNoise = 8 * SensorNoise.Gaussian(_seed, NoiseStream.TrainCar + 1, carIndex, now.ToUnixTimeSeconds());
        double load = Math.Max(0, (persons * KilogramsPerPerson) + zeroOffset + sensorNoise);
        long passengers = (long)Math.Round(load / KilogramsPerPerson);
        return (load, passengers, load / KilogramsPerPerson / capacity * 100, station);
    }

    /// <summary>Weights of the morning, evening and off-peak trip patterns at <paramref name="hour"/> (JST).</summary>
    public static (double Morning, double Evening, double OffPeak) DemandWeights(double hour, bool weekend) =>
        weekend
            ? (0.12 * DailyProfile.Bell(hour, 9.0, 1.2), 0.2 * DailyProfile.Bell(hour, 17.5, 1.5), 0.08 + (0.3 * DailyProfile.Window(hour, 9.5, 20)))
            : (DailyProfile.Bell(hour, 8.0, 0.55), 0.6 * DailyProfile.Bell(hour, 18.5, 1.1), 0.05 + (0.2 * DailyProfile.Window(hour, 6, 22.5)));

    /// <summary>A line's timings and section loads, computed once.</summary>
    private sealed class LineModel
    {
        private readonly double[] _forwardDeparture;
        private readonly double _oneWaySeconds;
        private readonly double[][] _forward;
        private readonly double[][] _backward;
        private readonly double[] _carWeight;
        private readonly double _normaliser;

        public LineModel(SubwayLine line)
        {
            Line = line;
            int n = line.Stations.Count;
            _forwardDeparture = new double[n];
            for (int s = 1; s < n; s++)
            {
                double km = line.Stations[s - 1].Location.DistanceKm(line.Stations[s].Location) * TrackFactor;
                _forwardDeparture[s] = _forwardDeparture[s - 1] + (km / line.ScheduledSpeed * 3600);
            }

            _oneWaySeconds = _forwardDeparture[n - 1];
            CycleSeconds = (2 * _forwardDeparture[n - 1]) + (2 * LayoverSeconds);

            // Section loads per pattern: 0 = morning, 1 = evening, 2 = off-peak; each scaled to a maximum of 1.
            _forward = new double[3][];
            _backward = new double[3][];
            for (int pattern = 0; pattern < 3; pattern++)
            {
                (_forward[pattern], _backward[pattern]) = SectionLoads(line.Stations, pattern);
            }

            // Scale so the busiest section at 08:00 on a weekday carries the line's peak load factor.
            var (morning, evening, offPeak) = DemandWeights(8.0, weekend: false);
            double busiest = 0;
            for (int s = 0; s < n - 1; s++)
            {
                busiest = Math.Max(busiest, (morning * _forward[0][s]) + (evening * _forward[1][s]) + (offPeak * _forward[2][s]));
                busiest = Math.Max(busiest, (morning * _backward[0][s]) + (evening * _backward[1][s]) + (offPeak * _backward[2][s]));
            }

            _normaliser = line.PeakLoadFactor / busiest;
            _carWeight = CarWeights(line);
        }

        public SubwayLine Line { get; }

        public double CycleSeconds { get; }

        public double CarWeight(int car) => _carWeight[car - 1];

        /// <summary>Station last departed (or standing at), the train-average load factor leaving it, and a departure number.</summary>
        public (string Station, double LoadFactor, long Departure) Where(double position, (double Morning, double Evening, double OffPeak) weights)
        {
            var stations = Line.Stations;
            int last = stations.Count - 1;
            double oneWay = _oneWaySeconds;
            if (position < oneWay)
            {
                int s = LastDeparted(position);
                return (stations[s].Name, Load(_forward, s, weights), s);
            }

            position -= oneWay;
            if (position < LayoverSeconds)
            {
                // Standing at the far terminus, filling up for the way back.
                return (stations[last].Name, Load(_backward, last - 1, weights) * position / LayoverSeconds, 100 + last);
            }

            position -= LayoverSeconds;
            if (position < oneWay)
            {
                int s = LastDepartedBackwards(position);
                return (stations[s].Name, Load(_backward, s - 1, weights), 200 + s);
            }

            position -= oneWay;
            return (stations[0].Name, Load(_forward, 0, weights) * Math.Min(1, position / LayoverSeconds), 300);
        }

        private double Load(double[][] sections, int section, (double Morning, double Evening, double OffPeak) weights)
        {
            section = Math.Clamp(section, 0, sections[0].Length - 1);
            return _normaliser * ((weights.Morning * sections[0][section]) + (weights.Evening * sections[1][section]) + (weights.OffPeak * sections[2][section]));
        }

        // Index of the last station departed 'position' seconds into the run from the first terminus.
        private int LastDeparted(double position)
        {
            int s = 0;
            while (s + 2 < _forwardDeparture.Length && _forwardDeparture[s + 1] <= position)
            {
                s++;
            }

            return s;
        }

        // The same running back from the last terminus: station s is left (oneWay - departure[s]) seconds in.
        private int LastDepartedBackwards(double position)
        {
            int s = _forwardDeparture.Length - 1;
            while (s - 1 >= 1 && _oneWaySeconds - _forwardDeparture[s - 1] <= position)
            {
                s--;
            }

            return s;
        }

        private static (double[] Forward, double[] Backward) SectionLoads(IReadOnlyList<SubwayStation> stations, int pattern)
        {
            int n = stations.Count;
            var forward = new double[n - 1];
            var backward = new double[n - 1];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    if (i == j)
                    {
                        continue;
                    }

                    var from = stations[i];
                    var to = stations[j];
                    double trips = pattern switch
                    {
                        0 => from.Homes * to.Jobs,
                        1 => from.Jobs * to.Homes,
                        _ => (from.Homes + from.Jobs) * (to.Homes + to.Jobs),
                    };

                    // A trip from i to j rides every section between them.
                    if (j > i)
                    {
                        for (int s = i; s < j; s++)
                        {
                            forward[s] += trips;
                        }
                    }
                    else
                    {
                        for (int s = j; s < i; s++)
                        {
                            backward[s] += trips;
                        }
                    }
                }
            }

            double max = 0;
            for (int s = 0; s < n - 1; s++)
            {
                max = Math.Max(max, Math.Max(forward[s], backward[s]));
            }

            for (int s = 0; s < n - 1; s++)
            {
                forward[s] /= max;
                backward[s] /= max;
            }

            return (forward, backward);
        }

        // Cars at the stairs fullest, their neighbours average, the rest and the cab cars emptier; mean 1.
        private static double[] CarWeights(SubwayLine line)
        {
            var weights = new double[line.CarsPerTrain];
            double sum = 0;
            for (int car = 1; car <= line.CarsPerTrain; car++)
            {
                int distance = int.MaxValue;
                foreach (int stairs in line.StairsCars)
                {
                    distance = Math.Min(distance, Math.Abs(stairs - car));
                }

                double weight = distance switch
                {
                    0 => 1.15,
                    1 => 1.0,
                    _ => 0.88,
                };
                if (car == 1 || car == line.CarsPerTrain)
                {
                    weight -= 0.05;
                }

                weights[car - 1] = weight;
                sum += weight;
            }

            double mean = sum / line.CarsPerTrain;
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] /= mean;
            }

            return weights;
        }
    }
}
