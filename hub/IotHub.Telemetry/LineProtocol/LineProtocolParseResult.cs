namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// The outcome of a lenient parse: the points of every valid line and an error for every
/// malformed one (InfluxDB's partial write).
/// </summary>
public sealed class LineProtocolParseResult
{
    /// <summary>Creates a result.</summary>
    public LineProtocolParseResult(IReadOnlyList<Point> points, IReadOnlyList<LineProtocolError> errors)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(errors);
        Points = points;
        Errors = errors;
    }

    /// <summary>Points of the valid lines, in input order.</summary>
    public IReadOnlyList<Point> Points { get; }

    /// <summary>One error per malformed line, in input order.</summary>
    public IReadOnlyList<LineProtocolError> Errors { get; }

    /// <summary>Whether every line was valid.</summary>
    public bool IsSuccess => Errors.Count == 0;
}
