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
}
