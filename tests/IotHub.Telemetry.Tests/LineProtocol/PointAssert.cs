namespace IotHub.Telemetry.Tests.LineProtocol;

/// <summary>Compares points field by field with readable failure messages.</summary>
internal static class PointAssert
{
    public static void Equal(Point expected, Point actual)
    {
        Assert.Equal(expected.Measurement, actual.Measurement);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Fields.Count, actual.Fields.Count);
        for (var i = 0; i < expected.Fields.Count; i++)
        {
            Assert.Equal(expected.Fields[i].Key, actual.Fields[i].Key);
            var expectedValue = expected.Fields[i].Value;
            var actualValue = actual.Fields[i].Value;
            Assert.Equal(expectedValue.Kind, actualValue.Kind);
            if (expectedValue.Kind == FieldKind.Float)
            {
                // JSON cannot tell -0 from 0; compare numerically.
                Assert.Equal(expectedValue.AsFloat, actualValue.AsFloat);
            }
            else
            {
                Assert.Equal(expectedValue, actualValue);
            }
        }

        Assert.Equal(expected.TimestampNs, actual.TimestampNs);
    }

    public static void Equal(IReadOnlyList<Point> expected, IReadOnlyList<Point> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Equal(expected[i], actual[i]);
        }
    }
}
