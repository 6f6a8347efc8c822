namespace IotHub.Telemetry.LineProtocol;

/// <summary>Limits of a <see cref="LineProtocolReader"/>.</summary>
public sealed class LineProtocolReaderOptions
{
    /// <summary>The default <see cref="MaxLineLength"/>: 64 KiB.</summary>
    public const int DefaultMaxLineLength = 64 * 1024;

    /// <summary>The smallest accepted <see cref="MaxLineLength"/>.</summary>
    public const int MinMaxLineLength = 16;

    /// <summary>Shared default options (do not mutate).</summary>
    internal static LineProtocolReaderOptions Default { get; } = new();

    /// <summary>
    /// The longest line, in bytes including its line ending, the reader buffers (default
    /// 64 KiB). A longer line is reported as an error and skipped up to its end of line, so a
    /// client can never make the reader buffer without bound.
    /// </summary>
    public int MaxLineLength { get; set; } = DefaultMaxLineLength;

    /// <summary>Throws when a limit is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    public void Validate()
    {
        if (MaxLineLength < MinMaxLineLength)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLineLength), MaxLineLength, $"MaxLineLength must be at least {MinMaxLineLength} bytes.");
        }
    }
}
