using System.Security.Cryptography;
using System.Text;

namespace IotHub.Ingest;

/// <summary>The hub's admin token, compared in fixed time.</summary>
public sealed class AdminCredentials(string token)
{
    /// <summary>MQTT user name of service clients that authenticate with the admin token.</summary>
    public const string MqttUserName = "iothub-admin";

    private readonly byte[] _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The token (to show the owner once, or write to admin.json).</summary>
    public string Token { get; } = token;

    /// <summary>Whether a presented token is the admin token.</summary>
    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
