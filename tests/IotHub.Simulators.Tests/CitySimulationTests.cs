using System.Diagnostics;
using IotHub.City;
using IotHub.Telemetry;

namespace IotHub.Simulators.Tests;

public class CitySimulationTests
{
    [Fact]
    public void Read_SameSeedAdvancedDifferently_IdenticalReadingsOverADay()
    {
        var start = SimulationAssert.Weekday(0);
        var coarse = new CitySimulation(CityScenario.Demo, 7, start);
        var fine = new CitySimulation(CityScenario.Demo, 7, start);
        var otherSeed = new CitySimulation(CityScenario.Demo, 8, start);
        int differences = 0;

        for (var time = start; time <= start.AddDays(1); time = time.AddMinutes(10))
        {
            // One jumps 10 minutes at a time, the other creeps in odd increments: same physics either way.
            coarse.AdvanceTo(time);
            while (fine.Now < time)
            {
                var next = fine.Now.AddSeconds(47);
                fine.AdvanceTo(next < time ? next : time);
            }

            otherSeed.AdvanceTo(time);
            foreach (var device in CityScenario.Demo.Devices)
            {
                var expected = coarse.Read(device.Id);
                Assert.Equal(expected, fine.Read(device.Id));
                if (!expected.SequenceEqual(otherSeed.Read(device.Id)))
                {
                    differences++;
                }
            }
        }

        Assert.True(differences > 100, $"another seed changed only {differences} readings");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(14)]
    [InlineData(19)]
    public void Read_EveryDeviceOfDefault_ReportsItsKindsFieldsWithDeclaredTypes(int hour)
    {
        // A storm over Shinjuku so some pipes surcharge and drop their level.
        var storm = new StormCell(TimeSpan.Zero, TimeSpan.FromHours(2), new GeoPoint(35.69, 139.70), 0, 0, 120, 4);
        var simulation = new CitySimulation(SimulationAssert.WithOnly(CityScenario.Default, storm), 3, SimulationAssert.Weekday(hour));
        simulation.AdvanceTo(simulation.Now.AddMinutes(50));
        int surcharged = 0;

        foreach (var device in CityScenario.Default.Devices)
        {
            var readings = simulation.Read(device.Id);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, value) in readings)
            {
                var field = device.Kind.FindField(name);
                Assert.True(field is not null, $"{device.Id} reported undeclared field {name}");
                Assert.True(names.Add(name), $"{device.Id} reported {name} twice");
                Type expected = field.Type switch
                {
                    FieldKind.Float => typeof(double),
                    FieldKind.Integer => typeof(long),
                    FieldKind.Boolean => typeof(bool),
                    FieldKind.String => typeof(string),
                    _ => typeof(ulong),
                };
                Assert.IsType(expected, value);
                if (value is double number)
                {
                    Assert.True(double.IsFinite(number), $"{device.Id}.{name} = {number}");
                }
            }

            bool isSurcharged = device.Kind == DeviceKinds.Manhole && (bool)SimulationAssert.Field(simulation, device.Id, "surcharged");
            surcharged += isSurcharged ? 1 : 0;
            foreach (var field in device.Kind.Fields)
            {
                bool omittedLevel = isSurcharged && field.Name == "level";
                Assert.True(names.Contains(field.Name) != omittedLevel, $"{device.Id}: {field.Name} present={names.Contains(field.Name)}, surcharged={isSurcharged}");
            }
        }

        Assert.True(surcharged > 0, "the storm surcharged no sewer");
    }

    [Fact]
    public void Read_UnknownDevice_ThrowsArgumentException()
    {
        var simulation = new CitySimulation(CityScenario.Demo, 1, SimulationAssert.Weekday(9));

        Assert.Throws<ArgumentException>(() => simulation.Read("gauge-nowhere-1"));
    }

    [Fact]
    public void AdvanceTo_Backwards_Throws()
    {
        var simulation = new CitySimulation(CityScenario.Demo, 1, SimulationAssert.Weekday(9));
        simulation.AdvanceTo(simulation.Now.AddMinutes(5));

        Assert.Throws<ArgumentOutOfRangeException>(() => simulation.AdvanceTo(simulation.Now.AddSeconds(-1)));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(22)]
    public void Read_TwoSecondsApart_EveryDeviceChanges(int hour)
    {
        var simulation = new CitySimulation(CityScenario.Demo, 5, SimulationAssert.Weekday(hour).AddMinutes(17));
        simulation.AdvanceTo(simulation.Now.AddMinutes(30));

        for (int read = 0; read < 5; read++)
        {
            var before = CityScenario.Demo.Devices.Select(d => simulation.Read(d.Id)).ToList();
            simulation.AdvanceTo(simulation.Now.AddSeconds(2));
            for (int i = 0; i < before.Count; i++)
            {
                var after = simulation.Read(CityScenario.Demo.Devices[i].Id);
                Assert.False(before[i].SequenceEqual(after), $"{CityScenario.Demo.Devices[i].Id} did not change: {SimulationAssert.Describe(after)}");
            }
        }
    }

    [Fact]
    public void AdvanceTo_DryWeek_EveryGaugeStaysBelowStandby()
    {
        var scenario = SimulationAssert.WithOnly(CityScenario.Default);
        var simulation = new CitySimulation(scenario, 11, SimulationAssert.Weekday(0));
        var gauges = scenario.Devices.Where(d => d.Kind == DeviceKinds.RiverGauge).ToList();
        double highest = 0;

        for (int hour = 1; hour <= 7 * 24; hour++)
        {
            simulation.AdvanceTo(SimulationAssert.Weekday(0).AddHours(hour));
            foreach (var gauge in gauges)
            {
                double level = SimulationAssert.Level(simulation, gauge.Id);
                Assert.True(level < gauge.Thresholds!.Standby, $"{gauge.Id} at {level} m in dry weather");
                Assert.Equal(0.0, (double)SimulationAssert.Field(simulation, gauge.Id, "rain_24h"));
                highest = Math.Max(highest, level);
            }
        }

        Assert.InRange(highest, 0.05, 1.0);
    }

    [Fact]
    public void Demo_FirstMinutes_StormReachesPolesSewersAndRaisesTheUpstreamGauge()
    {
        var start = SimulationAssert.Weekday(15);
        var simulation = new CitySimulation(CityScenario.Demo, 42, start);
        double dryLevel = SimulationAssert.Level(simulation, "gauge-kanda-1");
        double maxPoleRain = 0, maxGaugeRain = 0, maxLevel = 0;
        bool surcharged = false;

        for (int minute = 1; minute <= 60; minute++)
        {
            simulation.AdvanceTo(start.AddMinutes(minute));
            if (minute <= 10)
            {
                maxGaugeRain = Math.Max(maxGaugeRain, (double)SimulationAssert.Field(simulation, "gauge-kanda-1", "rain_rate"));
            }

            maxPoleRain = Math.Max(maxPoleRain, (double)SimulationAssert.Field(simulation, "pole-nishi-shinjuku-1", "rain_rate"));
            surcharged |= (bool)SimulationAssert.Field(simulation, "manhole-shinjuku-1", "surcharged");
            maxLevel = Math.Max(maxLevel, SimulationAssert.Level(simulation, "gauge-kanda-1"));
        }

        Assert.True(maxGaugeRain > 20, $"rain at the upstream gauge in the first 10 minutes peaked at {maxGaugeRain} mm/h");
        Assert.True(maxPoleRain > 50, $"rain at the pole peaked at {maxPoleRain} mm/h");
        Assert.True(surcharged, "the Shinjuku sewer never surcharged");
        var standby = CityScenario.Demo.FindDevice("gauge-kanda-1")!.Thresholds!.Standby;
        Assert.True(maxLevel > standby && dryLevel < standby, $"upstream gauge went from {dryLevel} to {maxLevel} m");
    }

    [Fact]
    public void AdvanceTo_OneDemoDay_TakesWellUnderASecond()
    {
        var start = SimulationAssert.Weekday(0);
        var simulation = new CitySimulation(CityScenario.Demo, 1, start);

        var stopwatch = Stopwatch.StartNew();
        simulation.AdvanceTo(start.AddDays(1));
        stopwatch.Stop();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(0.5), $"took {stopwatch.Elapsed}");
    }
}
