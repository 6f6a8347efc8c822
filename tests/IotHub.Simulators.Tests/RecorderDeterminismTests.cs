using System.Buffers;
using System.Security.Cryptography;
using IotHub.City;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Simulators.Tests;

public class RecorderDeterminismTests
{
    private static readonly DateTimeOffset Start = new(2025, 7, 14, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void WriteNextTick_SameSeedTwice_ByteIdenticalDayOfLineProtocol()
    {
        var (first, points) = HashDay(CityScenario.Default, seed: 7);
        var (second, _) = HashDay(CityScenario.Default, seed: 7);
        var (firstHours, _) = HashDay(CityScenario.Default, seed: 7, minutes: 180);
        var (otherSeedHours, _) = HashDay(CityScenario.Default, seed: 8, minutes: 180);

        Assert.Equal(Convert.ToHexString(first), Convert.ToHexString(second));
        Assert.NotEqual(Convert.ToHexString(firstHours), Convert.ToHexString(otherSeedHours));
        Assert.Equal(new CityRecorder(CityScenario.Default, 7, Start).PointsPerDay, points, 0);
    }

    [Fact]
    public void WriteNextTick_ScenarioLoadedFromItsFile_SameBytesAsBuiltIn()
    {
        var loaded = CityScenarioFile.Parse(CityScenarioFile.ToUtf8Json(CityScenario.Demo));

        Assert.Equal(Convert.ToHexString(HashDay(CityScenario.Demo, 3).Hash), Convert.ToHexString(HashDay(loaded, 3).Hash));
    }

    [Fact]
    public void WriteNextTick_EveryDevice_ReportsAtItsKindsIntervalWithDeviceTag()
    {
        var recorder = new CityRecorder(CityScenario.Demo, 1, Start);
        var buffer = new ArrayBufferWriter<byte>();
        for (int minute = 0; minute < 60; minute++)
        {
            recorder.WriteNextTick(buffer);
        }

        var lines = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var device in CityScenario.Demo.Devices)
        {
            var own = lines.Where(l => l.Contains($",device={device.Id},", StringComparison.Ordinal) || l.Contains($",device={device.Id} ", StringComparison.Ordinal)).ToList();
            Assert.Equal(60 / (int)device.Kind.ReportInterval.TotalMinutes, own.Count);
            Assert.All(own, l => Assert.StartsWith(device.Kind.Measurement + ",", l, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void WriteRiverLevelsCsv_SameSeed_SameBytesAndTrueLevels()
    {
        var end = Start.AddHours(6);
        using var first = new StringWriter();
        using var second = new StringWriter();

        long rows = GroundTruth.WriteRiverLevelsCsv(first, CityScenario.Demo, 5, Start, end, TimeSpan.FromMinutes(1));
        GroundTruth.WriteRiverLevelsCsv(second, CityScenario.Demo, 5, Start, end, TimeSpan.FromMinutes(1));

        Assert.Equal(first.ToString(), second.ToString());
        Assert.Equal(6 * 60 * 2, rows);
        var lines = first.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(GroundTruth.Header, lines[0]);
        var simulation = new CitySimulation(CityScenario.Demo, 5, Start);
        simulation.AdvanceTo(Start.AddMinutes(90));
        var row = lines.Single(l => l.StartsWith("2025-07-14T01:30:00Z,gauge-kanda-2,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(Math.Round(simulation.TrueLevel("gauge-kanda-2"), 4), double.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static (byte[] Hash, long Points) HashDay(CityScenario scenario, int seed, int minutes = 1440)
    {
        var recorder = new CityRecorder(scenario, seed, Start);
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long points = 0;
        for (int minute = 0; minute < minutes; minute++)
        {
            points += recorder.WriteNextTick(buffer, LineProtocolPrecision.Second);
            hash.AppendData(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
        }

        return (hash.GetHashAndReset(), points);
    }
}
