namespace IotHub.Telemetry.LineProtocol;

/// <summary>What one call of <see cref="LineProtocolReader.ReadNext{TSink}"/> produced.</summary>
public enum LineProtocolReadStatus
{
    /// <summary>
    /// The buffered data holds no complete line: nothing of it was consumed past the last
    /// complete line. Call again once more data has arrived.
    /// </summary>
    NeedMoreData,

    /// <summary>One point was delivered to the sink and its line consumed.</summary>
    Point,

    /// <summary>
    /// One line was malformed: it was consumed (up to its end of line), nothing was delivered to
    /// the sink, and the error says where and why. Reading can go on with the next line.
    /// </summary>
    InvalidLine,

    /// <summary>The final block was read to its end.</summary>
    EndOfInput,
}
