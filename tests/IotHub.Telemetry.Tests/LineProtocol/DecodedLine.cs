using IotHub.Telemetry.LineProtocol;

namespace IotHub.Telemetry.Tests.LineProtocol;

/// <summary>One outcome of reading a line: a point or an error.</summary>
internal sealed record DecodedLine(Point? Point, LineProtocolError? Error)
{
    public static void AssertEqual(IReadOnlyList<DecodedLine> expected, IReadOnlyList<DecodedLine> actual, string because)
    {
        Assert.True(expected.Count == actual.Count, $"{because}: expected {expected.Count} line outcomes, got {actual.Count}.");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Error == actual[i].Error, $"{because}: outcome {i}: expected error {expected[i].Error}, got {actual[i].Error}.");
            if (expected[i].Point is { } point)
            {
                Assert.NotNull(actual[i].Point);
                PointAssert.Equal(point, actual[i].Point!);
            }
        }
    }
}
