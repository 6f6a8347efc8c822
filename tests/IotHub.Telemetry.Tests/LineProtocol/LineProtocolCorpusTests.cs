using System.Globalization;
using System.Text;
using System.Text.Json;
using IotHub.Telemetry.LineProtocol;

namespace IotHub.Telemetry.Tests.LineProtocol;

public sealed class LineProtocolCorpusTests
{
    public static TheoryData<string> DecodeCaseKeys() => CaseKeys(LineProtocolCorpus.DecodeCases);

    public static TheoryData<string> EncodeCaseKeys() => CaseKeys(LineProtocolCorpus.EncodeCases);

    [Fact]
    public void Corpus_Loaded_HasDecodeAndEncodeCases()
    {
        Assert.True(LineProtocolCorpus.LoadError is null, LineProtocolCorpus.LoadError);
        Assert.NotEmpty(LineProtocolCorpus.DecodeCases);
        Assert.NotEmpty(LineProtocolCorpus.EncodeCases);
    }

    [Theory]
    [MemberData(nameof(DecodeCaseKeys))]
    public void Parse_CorpusDecodeCase_MatchesExpectedOutput(string key)
    {
        // Arrange
        Assert.True(LineProtocolCorpus.LoadError is null, LineProtocolCorpus.LoadError);
        var testCase = LineProtocolCorpus.DecodeCases[key];
        var input = testCase.GetProperty("input");
        var bytes = InputBytes(input.GetProperty("text"));
        var precision = ParsePrecision(input.GetProperty("precision").GetString());
        var defaultTime = input.GetProperty("defaultTime").GetInt64();
        var output = testCase.GetProperty("output");

        // Act
        IReadOnlyList<Point>? points = null;
        LineProtocolException? exception = null;
        try
        {
            points = LineProtocolParser.Parse(bytes, precision, defaultTime);
        }
        catch (LineProtocolException caught)
        {
            exception = caught;
        }

        // Assert
        if (output.TryGetProperty("error", out var expectedError))
        {
            Assert.True(exception is not null, $"Expected an error like \"{expectedError.GetString()}\" but decoded {points?.Count} point(s).");
            Assert.True(exception.Line >= 1 && exception.Column >= 1, $"Error position {exception.Line}:{exception.Column} is not 1-based.");
            return;
        }

        Assert.True(exception is null, $"Unexpected error: {exception?.Message}");
        AssertPoints(output.GetProperty("result"), points!);
    }

    [Theory]
    [MemberData(nameof(EncodeCaseKeys))]
    public void Write_CorpusEncodeCase_MatchesExpectedOutput(string key)
    {
        // Arrange
        Assert.True(LineProtocolCorpus.LoadError is null, LineProtocolCorpus.LoadError);
        var testCase = LineProtocolCorpus.EncodeCases[key];
        var input = testCase.GetProperty("input");
        var precision = ParsePrecision(input.GetProperty("precision").GetString());
        var output = testCase.GetProperty("output");
        var point = ToPoint(input.GetProperty("point"));

        // Act
        string? written = null;
        ArgumentException? exception = null;
        try
        {
            written = LineProtocolWriter.ToLineProtocol(point, precision);
        }
        catch (ArgumentException caught)
        {
            exception = caught;
        }

        // Assert
        if (output.TryGetProperty("error", out var expectedError))
        {
            Assert.True(exception is not null, $"Expected an error like \"{expectedError.GetString()}\" but wrote {written}.");
            return;
        }

        Assert.True(exception is null, $"Unexpected error: {exception?.Message}");
        Assert.Equal(output.GetProperty("result").GetString(), written);
        var decoded = Assert.Single(LineProtocolParser.Parse(written!, precision, 0));
        PointAssert.Equal(point, decoded);
    }

    private static TheoryData<string> CaseKeys(IReadOnlyDictionary<string, JsonElement> cases)
    {
        var data = new TheoryData<string>();
        if (LineProtocolCorpus.LoadError is not null)
        {
            // Fail loudly in the theory rather than producing no cases.
            data.Add(LineProtocolCorpus.MissingCorpusKey);
            return data;
        }

        var keys = cases.Keys.ToList();
        keys.Sort(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            data.Add(key);
        }

        return data;
    }

    private static byte[] InputBytes(JsonElement text) =>
        text.ValueKind == JsonValueKind.String
            ? Encoding.UTF8.GetBytes(text.GetString()!)
            : Convert.FromBase64String(text.GetProperty("binary").GetString()!);

    private static LineProtocolPrecision ParsePrecision(string? precision) => precision switch
    {
        "1ns" => LineProtocolPrecision.Nanosecond,
        "1µs" or "1us" => LineProtocolPrecision.Microsecond,
        "1ms" => LineProtocolPrecision.Millisecond,
        "1s" => LineProtocolPrecision.Second,
        _ => throw new InvalidOperationException($"Unknown corpus precision '{precision}'."),
    };

    private static void AssertPoints(JsonElement expected, IReadOnlyList<Point> actual)
    {
        Assert.Equal(expected.GetArrayLength(), actual.Count);
        var index = 0;
        foreach (var expectedPoint in expected.EnumerateArray())
        {
            PointAssert.Equal(ToPoint(expectedPoint), actual[index]);
            index++;
        }
    }

    private static Point ToPoint(JsonElement point)
    {
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var tag in point.GetProperty("tags").EnumerateArray())
        {
            tags.Add(new(tag.GetProperty("key").GetString()!, tag.GetProperty("value").GetString()!));
        }

        var fields = new List<KeyValuePair<string, FieldValue>>();
        foreach (var field in point.GetProperty("fields").EnumerateArray())
        {
            fields.Add(new(field.GetProperty("key").GetString()!, ToFieldValue(field.GetProperty("value"))));
        }

        return new Point(point.GetProperty("name").GetString()!, tags, fields, point.GetProperty("time").GetInt64());
    }

    private static FieldValue ToFieldValue(JsonElement value)
    {
        var property = value.EnumerateObject().Single();
        return property.Name switch
        {
            "float" => FieldValue.FromFloat(property.Value.GetDouble()),
            "int" => FieldValue.FromInteger(property.Value.GetInt64()),
            "uint" => FieldValue.FromUInteger(property.Value.GetUInt64()),
            "bool" => FieldValue.FromBoolean(property.Value.GetBoolean()),
            "string" => FieldValue.FromString(property.Value.GetString()!),
            _ => throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Unknown corpus value type '{property.Name}'.")),
        };
    }
}
