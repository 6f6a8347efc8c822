using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IotHub.Edge;

/// <summary>The certificates an agent trusts for the hub's TLS certificate, from a PEM file (<c>tlsCaFile</c>).</summary>
public static class TlsTrust
{
    /// <summary>Reads every certificate of a PEM file.</summary>
    /// <exception cref="EdgeConfigurationException">The file is missing, unreadable or holds no certificate.</exception>
    public static X509Certificate2Collection Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new EdgeConfigurationException($"tlsCaFile '{path}' cannot be read as PEM certificates: {ex.Message}");
        }

        return certificates.Count > 0
            ? certificates
            : throw new EdgeConfigurationException($"tlsCaFile '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    /// <summary>TLS client options that accept only a server certificate chaining to <paramref name="roots"/>.</summary>
    public static System.Net.Security.SslClientAuthenticationOptions ClientOptions(X509Certificate2Collection roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(roots);
        return new System.Net.Security.SslClientAuthenticationOptions { CertificateChainPolicy = policy };
    }
}
