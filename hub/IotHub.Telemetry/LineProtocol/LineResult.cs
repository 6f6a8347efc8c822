namespace IotHub.Telemetry.LineProtocol;

/// <summary>Outcome of parsing one line of a buffer.</summary>
internal enum LineResult
{
    /// <summary>The buffer ends before the line does; nothing consumed.</summary>
    NeedMoreData,

    /// <summary>A point was delivered.</summary>
    Point,

    /// <summary>A blank line or a comment was consumed.</summary>
    Skipped,

    /// <summary>A malformed line was consumed and the error recorded.</summary>
    Error,
}
