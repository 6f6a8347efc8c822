namespace IotHub.Ingest;

/// <summary>Reads the token of an <c>Authorization</c> header: <c>Token &lt;t&gt;</c> (InfluxDB style) or <c>Bearer &lt;t&gt;</c>.</summary>
public static class AuthorizationHeader
{
    /// <summary>The token, or <c>null</c> when the header has neither scheme.</summary>
    public static string? TokenOf(string? header)
    {
        if (header is null)
        {
            return null;
        }

        if (header.StartsWith("Token ", StringComparison.OrdinalIgnoreCase))
        {
            return header[6..].Trim();
        }

        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
