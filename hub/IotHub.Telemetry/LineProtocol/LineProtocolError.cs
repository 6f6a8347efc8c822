namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// A syntax or range error in one line of line protocol.
/// </summary>
/// <param name="Line">1-based line number of the offending byte.</param>
/// <param name="Column">1-based column, in bytes from the start of that line.</param>
/// <param name="Message">What was expected and what was found.</param>
public readonly record struct LineProtocolError(long Line, int Column, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"line {Line}, column {Column}: {Message}";
}
