namespace IotHub.Telemetry.LineProtocol;

/// <summary>One field of the line being read.</summary>
/// <param name="Key">The unescaped key.</param>
/// <param name="Kind">The value type.</param>
/// <param name="Bits">The numeric value: double bits, long, ulong or 0/1.</param>
/// <param name="Text">The unescaped string value when <paramref name="Kind"/> is <see cref="FieldKind.String"/>.</param>
internal readonly record struct FieldToken(TokenRef Key, FieldKind Kind, long Bits, TokenRef Text);
