using IotHub.City;

namespace IotHub.Simulators.Tests;

public class RiverPhysicsTests
{
    private static readonly DateTimeOffset Start = SimulationAssert.Weekday(14);

    [Fact]
    public void AdvanceTo_Kanda80MillimetresPerHour_DownstreamCrossesCautionAfterUpstreamWithTravelLag()
    {
        // Arrange: one hour of 80 mm/h over the whole Kanda catchment (a wide, stationary cell).
        var kanda = CityScenario.Default.Rivers.Single(r => r.Id == "kanda");
        var centre = new GeoPoint(kanda.Gauges.Average(g => g.Location.Latitude), kanda.Gauges.Average(g => g.Location.Longitude));
        var storm = new StormCell(TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(60), centre, 0, 0, 80, 25);
        var scenario = SimulationAssert.WithOnly(CityScenario.Default, storm);
        var simulation = new CitySimulation(scenario, 21, Start);
        int count = kanda.Gauges.Count;
        var cautionCrossed = new double?[count];
        var peakMinute = new double[count];
        var peakLevel = new double[count];

        // Act
        for (int minute = 1; minute <= 8 * 60; minute++)
        {
            simulation.AdvanceTo(Start.AddMinutes(minute));
            for (int g = 0; g < count; g++)
            {
                double level = simulation.TrueLevel(kanda.Gauges[g].DeviceId);
                if (level >= kanda.Gauges[g].Thresholds.FloodCaution && cautionCrossed[g] is null)
                {
                    cautionCrossed[g] = minute;
                }

                if (level > peakLevel[g])
                {
                    peakLevel[g] = level;
                    peakMinute[g] = minute;
                }
            }
        }

        // Assert: every gauge, the most downstream included, crosses caution, in order down the river.
        for (int g = 0; g < count; g++)
        {
            Assert.True(cautionCrossed[g] is not null, $"{kanda.Gauges[g].DeviceId} peaked at {peakLevel[g]:F2} m, caution {kanda.Gauges[g].Thresholds.FloodCaution}");
        }

        for (int g = 1; g < count; g++)
        {
            Assert.True(cautionCrossed[g] > cautionCrossed[g - 1], $"{kanda.Gauges[g].DeviceId} crossed caution at {cautionCrossed[g]}, its upstream gauge at {cautionCrossed[g - 1]}");
            Assert.True(peakMinute[g] > peakMinute[g - 1], $"{kanda.Gauges[g].DeviceId} peaked at {peakMinute[g]}, its upstream gauge at {peakMinute[g - 1]}");
        }

        // The flood wave's arrival from the top gauge to the bottom one takes about the configured
        // travel times: less, since the rain also falls on the local catchments in between, but
        // more than half of it, and never more than it plus the channel storage.
        double travel = kanda.Gauges.Take(count - 1).Sum(g => g.TravelTimeDownstream.TotalMinutes);
        double lag = peakMinute[count - 1] - peakMinute[0];
        Assert.InRange(lag, 0.5 * travel, travel + 15);
    }

    [Fact]
    public void AdvanceTo_RainOnlyUpstream_DownstreamPeakLagsByTheTravelTime()
    {
        // Arrange: a small cell over the first Kanda gauge's catchment only.
        var kanda = CityScenario.Default.Rivers.Single(r => r.Id == "kanda");
        var upstream = kanda.Gauges[0];
        var downstream = kanda.Gauges[1];
        var storm = new StormCell(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(60), upstream.CatchmentCentre, 0, 0, 80, 1.5);
        var simulation = new CitySimulation(SimulationAssert.WithOnly(CityScenario.Default, storm), 2, Start);
        double upPeak = 0, downPeak = 0, upMinute = 0, downMinute = 0;

        // Act
        for (int minute = 1; minute <= 6 * 60; minute++)
        {
            simulation.AdvanceTo(Start.AddMinutes(minute));
            double up = simulation.TrueLevel(upstream.DeviceId);
            double down = simulation.TrueLevel(downstream.DeviceId);
            (upPeak, upMinute) = up > upPeak ? (up, minute) : (upPeak, upMinute);
            (downPeak, downMinute) = down > downPeak ? (down, minute) : (downPeak, downMinute);
        }

        // Assert: the wave arrives after the travel time plus a few minutes of channel storage.
        double travel = upstream.TravelTimeDownstream.TotalMinutes;
        Assert.InRange(downMinute - upMinute, travel, travel + 15);
        Assert.True(downPeak > downstream.Rating.Level(0.0) + 0.2, $"downstream peak {downPeak:F2} m");
    }

    [Fact]
    public void AdvanceTo_HeavyLocalRain_SewerRespondsWithinMinutesAndSurchargesAboveDesign()
    {
        // Arrange: 100 mm/h straight over a 75 mm/h district's manhole.
        var manhole = CityScenario.Demo.SewerDistricts[0].Manholes[0];
        var storm = new StormCell(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(60), manhole.Location, 0, 0, 100, 3);
        var simulation = new CitySimulation(SimulationAssert.WithOnly(CityScenario.Demo, storm), 4, Start);
        simulation.AdvanceTo(Start.AddMinutes(5));
        double dryLevel = (double)SimulationAssert.Field(simulation, manhole.DeviceId, "level");
        int? risenMinute = null, surchargedMinute = null;

        // Act
        for (int minute = 6; minute <= 60; minute++)
        {
            simulation.AdvanceTo(Start.AddMinutes(minute));
            var readings = simulation.Read(manhole.DeviceId);
            bool surcharged = (bool)readings.Single(r => r.Key == "surcharged").Value;
            if (surcharged)
            {
                surchargedMinute ??= minute;
                Assert.DoesNotContain(readings, r => r.Key == "level");
            }
            else if ((double)readings.Single(r => r.Key == "level").Value > dryLevel + 0.1)
            {
                risenMinute ??= minute;
            }
        }

        // Assert
        Assert.True(risenMinute is not null && risenMinute <= 5 + 10, $"the pipe rose at minute {risenMinute}");
        Assert.True(surchargedMinute is not null && surchargedMinute <= 5 + 30, $"the pipe surcharged at minute {surchargedMinute}");
    }

    [Fact]
    public void Read_GaugeAboveFloodDanger_NearbyPolesShowDisasterMessage()
    {
        // Arrange: a long, intense storm over the Demo's Kanda catchment and Nishi-Shinjuku.
        var storm = new StormCell(TimeSpan.Zero, TimeSpan.FromHours(3), new GeoPoint(35.70, 139.66), 0, 0, 90, 12);
        var simulation = new CitySimulation(SimulationAssert.WithOnly(CityScenario.Demo, storm), 6, Start);
        Assert.Equal("normal", SimulationAssert.Field(simulation, "pole-nishi-shinjuku-1", "signage"));
        string? message = null;

        // Act
        for (int minute = 1; minute <= 4 * 60 && message is null; minute++)
        {
            simulation.AdvanceTo(Start.AddMinutes(minute));
            var signage = (string)SimulationAssert.Field(simulation, "pole-nishi-shinjuku-1", "signage");
            if (signage != "normal")
            {
                message = signage;
                double level = simulation.TrueLevel("gauge-kanda-1");
                Assert.True(level >= CityScenario.Demo.FindDevice("gauge-kanda-1")!.Thresholds!.FloodDanger - 0.1, $"message at {level} m");
            }
        }

        // Assert
        Assert.NotNull(message);
        Assert.Contains("Kanda", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RainGauge_TotalsMatchTheRainThatFell()
    {
        // Arrange: 60 mm/h for an hour right over the gauge (ramps of 12 minutes at each end).
        var gauge = CityScenario.Demo.Rivers[0].Gauges[0];
        var storm = new StormCell(TimeSpan.Zero, TimeSpan.FromMinutes(60), gauge.Location, 0, 0, 60, 50);
        var simulation = new CitySimulation(SimulationAssert.WithOnly(CityScenario.Demo, storm), 6, Start);

        // Act
        simulation.AdvanceTo(Start.AddMinutes(30));
        double tenMinutes = (double)SimulationAssert.Field(simulation, gauge.DeviceId, "rain_10min");
        simulation.AdvanceTo(Start.AddHours(3));
        double day = (double)SimulationAssert.Field(simulation, gauge.DeviceId, "rain_24h");
        simulation.AdvanceTo(Start.AddHours(26));
        double nextDay = (double)SimulationAssert.Field(simulation, gauge.DeviceId, "rain_24h");

        // Assert: 10 min at 60 mm/h = 10 mm; 60 mm/h for 48 min plus two ramps of 12 min = 60 mm x 0.8.
        Assert.InRange(tenMinutes, 9.5, 10.5);
        Assert.InRange(day, 47, 49);
        Assert.Equal(0.0, nextDay);
    }
}
