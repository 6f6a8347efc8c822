namespace IotHub.Telemetry.LineProtocol;

/// <summary>One tag of the line being read.</summary>
/// <param name="Key">The unescaped key.</param>
/// <param name="Value">The unescaped value.</param>
/// <param name="KeyPrefix">The key's first 8 bytes, big-endian, zero padded: comparing two prefixes orders most keys without touching their bytes.</param>
/// <param name="KeyOffset">Offset of the raw key in the line, for error columns.</param>
internal readonly record struct TagToken(TokenRef Key, TokenRef Value, ulong KeyPrefix, int KeyOffset);
