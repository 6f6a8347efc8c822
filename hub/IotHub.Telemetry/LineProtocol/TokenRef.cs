namespace IotHub.Telemetry.LineProtocol;

/// <summary>
/// Where a decoded name or string lives while a line is being read: a slice of the line itself
/// when it had no escapes (<see cref="Start"/> &gt;= 0), or of the reader's unescape buffer
/// (<see cref="Start"/> is the bitwise complement of the offset there).
/// </summary>
internal readonly record struct TokenRef(int Start, int Length)
{
    /// <summary>Marks a name that failed UTF-8 validation.</summary>
    public static readonly TokenRef Invalid = new(int.MinValue, 0);

    public bool IsUnescaped => Start < 0;

    public static TokenRef InLine(int start, int length) => new(start, length);

    public static TokenRef InUnescapeBuffer(int offset, int length) => new(~offset, length);
}
