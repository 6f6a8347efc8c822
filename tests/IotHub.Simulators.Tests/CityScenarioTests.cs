using IotHub.City;

namespace IotHub.Simulators.Tests;

public class CityScenarioTests
{
    [Fact]
    public void Demo_EveryKind_HasAtLeastTwoDevices()
    {
        var scenario = CityScenario.Demo;

        foreach (var kind in DeviceKinds.All)
        {
            int count = scenario.Devices.Count(d => d.Kind == kind);
            Assert.True(count >= 2, $"{kind.Id}: {count} devices");
        }

        Assert.True(scenario.Devices.Count(d => d.Kind == DeviceKinds.TrainCar) >= 3);
        Assert.Equal(2, scenario.Rivers.Single(r => r.Id == "kanda").Gauges.Count);
    }

    [Fact]
    public void Default_TokyoLike_HasRiversPolesLinesAndEnoughDevices()
    {
        var scenario = CityScenario.Default;

        Assert.Equal(
            new[] { "furukawa", "kanda", "meguro", "nogawa", "sengawa", "shibuya", "shin-shiba" },
            scenario.Rivers.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Equal(30, scenario.SmartPoles.Count);
        Assert.Equal(4, scenario.SubwayLines.Count);
        Assert.All(scenario.SubwayLines, line => Assert.InRange(line.CarsPerTrain, 6, 8));
        Assert.InRange(scenario.Devices.Count, 1000, 2000);
        Assert.All(scenario.Devices, d =>
        {
            Assert.InRange(d.Latitude, 35.4, 35.9);
            Assert.InRange(d.Longitude, 139.4, 140.0);
        });
    }

    [Fact]
    public void Devices_BothScenarios_HaveUniqueIdsValidAsMqttTopicLevels()
    {
        foreach (var scenario in new[] { CityScenario.Demo, CityScenario.Default })
        {
            Assert.Equal(scenario.Devices.Count, scenario.Devices.Select(d => d.Id).Distinct(StringComparer.Ordinal).Count());
            Assert.All(scenario.Devices, d =>
            {
                Assert.True(CityScenario.IsValidDeviceId(d.Id), d.Id);
                Assert.DoesNotContain('+', d.Id);
                Assert.DoesNotContain('#', d.Id);
                Assert.DoesNotContain('/', d.Id);
                Assert.Same(d, scenario.FindDevice(d.Id));
            });
        }
    }

    [Fact]
    public void Devices_RiverGauges_CarryRisingThresholdsAndOthersNone()
    {
        foreach (var device in CityScenario.Default.Devices)
        {
            if (device.Kind == DeviceKinds.RiverGauge)
            {
                var t = Assert.IsType<GaugeThresholds>(device.Thresholds);
                Assert.True(t.Standby < t.FloodCaution && t.FloodCaution < t.EvacuationJudgement && t.EvacuationJudgement < t.FloodDanger, device.Id);
                var river = CityScenario.Default.Rivers.Single(r => r.Gauges.Any(g => g.DeviceId == device.Id));
                Assert.Equal(river.Id, device.Tags["river"]);
            }
            else
            {
                Assert.Null(device.Thresholds);
            }
        }
    }

    [Fact]
    public void Devices_TrainCarsAndDetectors_CarryLineCarAndLaneTags()
    {
        var car = CityScenario.Default.FindDevice("car-asakusa-t1-c3");
        var detector = CityScenario.Default.FindDevice("det-koshu-hatsudai-l1");

        Assert.NotNull(car);
        Assert.Equal("asakusa", car.Tags["line"]);
        Assert.Equal("3", car.Tags["car"]);
        Assert.NotNull(detector);
        Assert.Equal("1", detector.Tags["lane"]);
        Assert.Equal(new[] { "car", "line", "train" }, car.Tags.Keys);
    }

    [Fact]
    public void FindDevice_UnknownId_ReturnsNull()
    {
        Assert.Null(CityScenario.Demo.FindDevice("gauge-nowhere-1"));
    }

    [Theory]
    [InlineData("gauge-kanda-1", true)]
    [InlineData("Gauge-kanda-1", false)]
    [InlineData("gauge/kanda", false)]
    [InlineData("gauge+1", false)]
    [InlineData("gauge#1", false)]
    [InlineData("-gauge", false)]
    [InlineData("gauge--1", false)]
    [InlineData("", false)]
    public void IsValidDeviceId_Candidates_AcceptsOnlyDashedLowercaseWords(string id, bool expected)
    {
        Assert.Equal(expected, CityScenario.IsValidDeviceId(id));
    }

    [Fact]
    public void Constructor_ThresholdsOutOfOrder_NamesTheField()
    {
        var demo = CityScenario.Demo;
        var river = demo.Rivers[0];
        var broken = river with { Gauges = [river.Gauges[0] with { Thresholds = new GaugeThresholds(2, 1, 3, 4) }, river.Gauges[1]] };

        var error = Assert.Throws<ArgumentException>(() =>
            new CityScenario("broken", [broken], demo.SewerDistricts, demo.SmartPoles, demo.SubwayLines, demo.Intersections, [], 0));

        Assert.Contains("Thresholds", error.Message, StringComparison.Ordinal);
        Assert.Contains("gauge-kanda-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_GaugeLoop_NamesDownstreamGaugeId()
    {
        var demo = CityScenario.Demo;
        var river = demo.Rivers[0];
        var looped = river with { Gauges = [river.Gauges[0], river.Gauges[1] with { DownstreamGaugeId = "gauge-kanda-1" }] };

        var error = Assert.Throws<ArgumentException>(() =>
            new CityScenario("looped", [looped], demo.SewerDistricts, demo.SmartPoles, demo.SubwayLines, demo.Intersections, [], 0));

        Assert.Equal("DownstreamGaugeId", error.ParamName);
    }

    [Fact]
    public void Constructor_BadDeviceId_Throws()
    {
        var demo = CityScenario.Demo;
        var pole = demo.SmartPoles[0] with { DeviceId = "Pole/1" };

        Assert.Throws<ArgumentException>(() =>
            new CityScenario("bad", demo.Rivers, demo.SewerDistricts, [pole], demo.SubwayLines, demo.Intersections, [], 0));
    }
}
