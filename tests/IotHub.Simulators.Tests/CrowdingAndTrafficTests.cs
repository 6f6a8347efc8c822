using IotHub.City;

namespace IotHub.Simulators.Tests;

public class CrowdingAndTrafficTests
{
    private static readonly SubwayLine Busiest = CityScenario.Default.SubwayLines.MaxBy(l => l.PeakLoadFactor)!;

    [Fact]
    public void Read_WeekdayMorningPeakOnBusiestLine_StairsCars150To200PercentOthersLess()
    {
        var (stairs, others) = PeakLoads(SimulationAssert.Weekday(7).AddMinutes(30));

        Assert.InRange(stairs.Max(), 150, 200);
        Assert.True(others.Max() < stairs.Max(), $"other cars up to {others.Max()}%, stairs cars {stairs.Max()}%");
        Assert.True(others.Average() < stairs.Average(), $"other cars average {others.Average()}%, stairs cars {stairs.Average()}%");
    }

    [Fact]
    public void Read_SaturdayMorning_LighterThanWeekday()
    {
        var (weekdayStairs, weekdayOthers) = PeakLoads(SimulationAssert.Weekday(7).AddMinutes(30));
        var (saturdayStairs, saturdayOthers) = PeakLoads(SimulationAssert.Saturday(7).AddMinutes(30));

        Assert.True(saturdayStairs.Max() < 0.6 * weekdayStairs.Max(), $"Saturday {saturdayStairs.Max()}%, weekday {weekdayStairs.Max()}%");
        Assert.True(saturdayOthers.Average() < weekdayOthers.Average());
    }

    [Fact]
    public void Read_TrainCar_PassengersAreLoadOver55KilogramsAndStationsAreTheLines()
    {
        var simulation = new CitySimulation(CityScenario.Default, 9, SimulationAssert.Weekday(8));
        var stations = Busiest.Stations.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        for (int train = 1; train <= Busiest.TrainCount; train++)
        {
            string id = Busiest.CarDeviceId(train, 2);
            double load = (double)SimulationAssert.Field(simulation, id, "load");
            long passengers = (long)SimulationAssert.Field(simulation, id, "passengers");
            double loadFactor = (double)SimulationAssert.Field(simulation, id, "load_factor");

            Assert.Equal(Math.Round(load / 55), passengers);
            Assert.Equal(load / 55 / Busiest.CarCapacity(2) * 100, loadFactor, 0.1);
            Assert.Contains((string)SimulationAssert.Field(simulation, id, "station"), stations);
        }
    }

    [Fact]
    public void Read_DetectorAtMorningPeak_SlowerFullerAndQueuedComparedWithNight()
    {
        const string detector = "det-koshu-ohara-l2";
        var simulation = new CitySimulation(CityScenario.Default.WithWeather([], 0), 12, SimulationAssert.Weekday(3));
        var night = Sample(simulation, detector, SimulationAssert.Weekday(3).AddMinutes(1));
        var peak = Sample(simulation, detector, SimulationAssert.Weekday(8).AddMinutes(30));

        Assert.True(peak.Volume > 3 * night.Volume, $"volume {peak.Volume} vs {night.Volume} per minute");
        Assert.True(peak.Occupancy > night.Occupancy);
        Assert.True(peak.Speed < night.Speed - 10, $"speed {peak.Speed} vs {night.Speed} km/h");
        Assert.True(peak.MaxQueue > 100, $"queue {peak.MaxQueue} m");
        Assert.InRange(night.Speed, 35, 60);
    }

    [Fact]
    public void SetSignalTiming_MoreGreen_ShortensThePeakQueue()
    {
        const string detector = "det-koshu-ohara-l2";
        var start = SimulationAssert.Weekday(6);
        var baseline = new CitySimulation(CityScenario.Default.WithWeather([], 0), 12, start);
        var retimed = new CitySimulation(CityScenario.Default.WithWeather([], 0), 12, start);
        retimed.SetSignalTiming("koshu-ohara", TimeSpan.FromSeconds(140), 0.6);

        double baselineQueue = Sample(baseline, detector, start.AddHours(3)).MaxQueue;
        double retimedQueue = Sample(retimed, detector, start.AddHours(3)).MaxQueue;

        Assert.True(retimedQueue < baselineQueue / 2, $"queue {retimedQueue} m with more green, {baselineQueue} m before");
        Assert.Throws<ArgumentException>(() => retimed.SetSignalTiming("nowhere", TimeSpan.FromSeconds(120), 0.5));
    }

    [Fact]
    public void Read_PolesWeekdayVersusNight_MorePeopleByDayAndCoolerAtNight()
    {
        const string pole = "pole-nishi-shinjuku-06";
        var simulation = new CitySimulation(CityScenario.Default.WithWeather([], 0), 13, SimulationAssert.Weekday(3));
        long nightPeople = (long)SimulationAssert.Field(simulation, pole, "people_count");
        double nightTemperature = (double)SimulationAssert.Field(simulation, pole, "temperature");
        simulation.AdvanceTo(SimulationAssert.Weekday(12).AddMinutes(20));
        long lunchPeople = (long)SimulationAssert.Field(simulation, pole, "people_count");
        double afternoonTemperature = (double)SimulationAssert.Field(simulation, pole, "temperature");

        Assert.True(lunchPeople > 3 * Math.Max(1, nightPeople), $"{lunchPeople} at lunch, {nightPeople} at night");
        Assert.True(afternoonTemperature > nightTemperature + 3, $"{afternoonTemperature} °C by day, {nightTemperature} °C at night");
        Assert.InRange(afternoonTemperature, 20, 40);
        Assert.Equal("normal", SimulationAssert.Field(simulation, pole, "signage"));
    }

    private static (List<double> Stairs, List<double> Others) PeakLoads(DateTimeOffset from)
    {
        var simulation = new CitySimulation(CityScenario.Default, 17, from);
        var stairs = new List<double>();
        var others = new List<double>();
        for (int minute = 0; minute <= 60; minute++)
        {
            simulation.AdvanceTo(from.AddMinutes(minute));
            for (int train = 1; train <= Busiest.TrainCount; train++)
            {
                for (int car = 1; car <= Busiest.CarsPerTrain; car++)
                {
                    double loadFactor = (double)SimulationAssert.Field(simulation, Busiest.CarDeviceId(train, car), "load_factor");
                    (Busiest.StairsCars.Contains(car) ? stairs : others).Add(loadFactor);
                }
            }
        }

        return (stairs, others);
    }

    private static (double Volume, double Occupancy, double Speed, double MaxQueue) Sample(CitySimulation simulation, string detector, DateTimeOffset at)
    {
        // Mean over ten minutes of reads 2 s apart, the longest queue seen.
        simulation.AdvanceTo(at);
        double volume = 0, occupancy = 0, speed = 0, queue = 0;
        const int reads = 300;
        for (int i = 0; i < reads; i++)
        {
            simulation.AdvanceTo(at.AddSeconds(2 * i));
            volume += (long)SimulationAssert.Field(simulation, detector, "volume");
            occupancy += (double)SimulationAssert.Field(simulation, detector, "occupancy");
            speed += (double)SimulationAssert.Field(simulation, detector, "speed");
            queue = Math.Max(queue, (double)SimulationAssert.Field(simulation, detector, "queue_length"));
        }

        return (volume / reads, occupancy / reads, speed / reads, queue);
    }
}
