namespace IotHub.Telemetry.LineProtocol;

/// <summary>Thrown by <see cref="LineProtocolParser.Parse(string, LineProtocolPrecision, long, LineProtocolReaderOptions?)"/> on the first malformed line.</summary>
public sealed class LineProtocolException : FormatException
{
    /// <summary>Creates an exception for a syntax error.</summary>
    public LineProtocolException(LineProtocolError error)
        : base(error.ToString())
    {
        Error = error;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public LineProtocolException()
        : this(new LineProtocolError(0, 0, "Invalid line protocol."))
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public LineProtocolException(string message)
        : this(new LineProtocolError(0, 0, message))
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public LineProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new LineProtocolError(0, 0, message);
    }

    /// <summary>Where and why.</summary>
    public LineProtocolError Error { get; }

    /// <summary>1-based line number.</summary>
    public long Line => Error.Line;

    /// <summary>1-based column in bytes.</summary>
    public int Column => Error.Column;
}
