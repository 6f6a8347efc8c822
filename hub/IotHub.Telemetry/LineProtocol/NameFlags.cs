namespace IotHub.Telemetry.LineProtocol;

/// <summary>What scanning a name found that needs a second look.</summary>
[Flags]
internal enum NameFlags : byte
{
    None = 0,

    /// <summary>The name holds a backslash escape and must be unescaped.</summary>
    Escaped = 1,

    /// <summary>The name holds non-ASCII bytes and must be validated as UTF-8.</summary>
    NonAscii = 2,
}
