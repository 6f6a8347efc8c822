namespace IotHub.Telemetry.LineProtocol;

/// <summary>Outcome of parsing a number of the line protocol grammar.</summary>
internal enum NumberParseResult
{
    Success,

    /// <summary>The text does not follow the grammar.</summary>
    Invalid,

    /// <summary>The text follows the grammar but the value does not fit the type.</summary>
    OutOfRange,
}
