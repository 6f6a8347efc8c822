using System.Text;
using System.Text.Json.Nodes;
using IotHub.City;

namespace IotHub.Simulators.Tests;

public class ScenarioFileTests
{
    [Fact]
    public void ToUtf8Json_DefaultSavedAndLoaded_SameBytesAndSameDevices()
    {
        var json = CityScenarioFile.ToUtf8Json(CityScenario.Default);

        var loaded = CityScenarioFile.Parse(json);

        Assert.Equal(json, CityScenarioFile.ToUtf8Json(loaded));
        Assert.Equal(CityScenario.Default.Devices.Select(d => (d.Id, d.Kind.Id, d.Name)), loaded.Devices.Select(d => (d.Id, d.Kind.Id, d.Name)));
        Assert.Equal(CityScenario.Default.Rivers.SelectMany(r => r.Gauges), loaded.Rivers.SelectMany(r => r.Gauges));
    }

    [Fact]
    public void ToUtf8Json_Demo_RoundTripsWithItsScheduledStorm()
    {
        var loaded = CityScenarioFile.Parse(CityScenarioFile.ToUtf8Json(CityScenario.Demo));

        Assert.Equal(CityScenario.Demo.ScheduledStorms, loaded.ScheduledStorms);
        Assert.Equal(CityScenario.Demo.Intersections, loaded.Intersections);
        Assert.Equal(CityScenario.Demo.SmartPoles, loaded.SmartPoles);
    }

    [Fact]
    public void ShippedTokyoFile_IsTheDefaultScenario()
    {
        var path = Path.Combine(RepositoryRoot(), "models", "IotHub.City", "Scenarios", "tokyo.json");

        var bytes = File.ReadAllBytes(path);

        // Regenerate with: dotnet run --project simulators/IotHub.CitySim -- scenario export --scenario default --out models/IotHub.City/Scenarios/tokyo.json
        Assert.True(CityScenarioFile.ToUtf8Json(CityScenario.Default).AsSpan().SequenceEqual(bytes), "tokyo.json is out of date with CityScenario.Default");
        Assert.Equal(CityScenario.Default.Devices.Count, CityScenarioFile.Load(path).Devices.Count);
    }

    [Fact]
    public void Parse_FloodDangerBelowEvacuation_NamesTheField()
    {
        var root = DefaultAsNode();
        var thresholds = root["rivers"]![2]!["gauges"]![0]!["thresholds"]!;
        double evacuation = thresholds["evacuationJudgement"]!.GetValue<double>();
        thresholds["floodDanger"] = evacuation - 0.5;

        var error = Assert.Single(ParseErrors(root));

        Assert.Equal("rivers[2].gauges[0].thresholds.floodDanger", error.Path);
        Assert.StartsWith("must be above evacuationJudgement", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("rivers[2].gauges[0].thresholds.floodDanger: must be above evacuationJudgement", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingRating_NamesTheField()
    {
        var root = DefaultAsNode();
        root["rivers"]![1]!["gauges"]![3]!.AsObject().Remove("rating");

        var error = Assert.Single(ParseErrors(root));

        Assert.Equal("rivers[1].gauges[3].rating", error.Path);
        Assert.StartsWith("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MisspeltField_NamesItWithItsLine()
    {
        var root = DefaultAsNode();
        root["intersections"]![4]!["cycleSecs"] = 120;

        var error = Assert.Single(ParseErrors(root));

        Assert.Equal("intersections[4].cycleSecs", error.Path);
        Assert.Contains("unknown field", error.Message, StringComparison.Ordinal);
        Assert.Contains("line ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TextWhereAWholeNumberBelongs_NamesTheField()
    {
        var root = DefaultAsNode();
        root["subwayLines"]![1]!["carsPerTrain"] = "six";

        var error = Assert.Single(ParseErrors(root));

        Assert.Equal("subwayLines[1].carsPerTrain", error.Path);
        Assert.StartsWith("must be a whole number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralMistakes_ListsEveryOneInDocumentOrder()
    {
        var root = DefaultAsNode();
        root["rivers"]![0]!["gauges"]![1]!["downstreamGaugeId"] = "gauge-nowhere";
        root["sewerDistricts"]![3]!["manholes"]![5]!["pipeDiameter"] = -1.0;
        root["sewerDistricts"]![3]!["manholes"]![6]!["deviceId"] = "gauge-kanda-1";
        root["subwayLines"]![0]!["stairsCars"] = new JsonArray(3, 9);
        root["intersections"]![0]!["cycleSeconds"] = 10;
        root["smartPoles"]![2]!["deviceId"] = "Pole 3";

        var errors = ParseErrors(root);

        Assert.Equal(
            [
                "rivers[0].gauges[1].downstreamGaugeId",
                "sewerDistricts[3].manholes[5].pipeDiameter",
                "sewerDistricts[3].manholes[6].deviceId",
                "smartPoles[2].deviceId",
                "subwayLines[0].stairsCars[1]",
                "intersections[0].cycleSeconds",
            ],
            errors.Select(e => e.Path));
        Assert.Contains("'gauge-nowhere' is not the deviceId of a gauge", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("already used by rivers[0].gauges[0].deviceId", errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DownstreamLinksInALoop_NamesTheLink()
    {
        var root = DefaultAsNode();
        var kanda = root["rivers"]![0]!["gauges"]!.AsArray();
        kanda[^1]!["downstreamGaugeId"] = kanda[0]!["deviceId"]!.GetValue<string>();

        var errors = ParseErrors(root);

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Contains("form a loop", e.Message, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "rivers[0].gauges[5].downstreamGaugeId");
    }

    [Fact]
    public void Parse_TruncatedJson_SaysWhereItBroke()
    {
        var json = CityScenarioFile.ToUtf8Json(CityScenario.Demo);

        var ex = Assert.Throws<ScenarioFileException>(() => CityScenarioFile.Parse(json.AsSpan(0, json.Length / 2), "demo.json"));

        var error = Assert.Single(ex.Errors);
        Assert.Contains("invalid JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("line ", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("demo.json: 1 error", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MinimalFile_DefaultsEmptyListsAndNoRandomStorms()
    {
        var scenario = CityScenarioFile.Parse("""{"name": "empty"}"""u8);

        Assert.Equal("empty", scenario.Name);
        Assert.Empty(scenario.Devices);
        Assert.Equal(0, scenario.RandomStormsPerDay);
    }

    [Fact]
    public void Resolve_BuiltInNames_GiveTheBuiltInScenarios()
    {
        Assert.Same(CityScenario.Default, CityScenarioFile.Resolve("default"));
        Assert.Same(CityScenario.Demo, CityScenarioFile.Resolve("demo"));
    }

    private static JsonNode DefaultAsNode() => JsonNode.Parse(CityScenarioFile.ToUtf8Json(CityScenario.Default))!;

    private static List<ScenarioFileError> ParseErrors(JsonNode root)
    {
        var bytes = Encoding.UTF8.GetBytes(root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        var ex = Assert.Throws<ScenarioFileException>(() => CityScenarioFile.Parse(bytes, "test.json"));
        Assert.Equal(ex.Errors.Count, ex.Message.Split('\n').Length - 1);
        return [.. ex.Errors];
    }

    // The source file's own path: test binaries may be built anywhere (--artifacts-path).
    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(sourceFile)!, "..", ".."));
}
