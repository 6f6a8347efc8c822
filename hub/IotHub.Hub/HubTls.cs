using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IotHub.Hub;

/// <summary>
/// The TLS listeners: MQTT over TLS (MQTT's registered TLS port is 8883) and, when asked for, gRPC
/// ingest over TLS; their ports and the server certificate, from PEM files (certificate chain, and the private key when it is in a file of
/// its own) or a PKCS#12 file.
/// </summary>
/// <param name="MqttPort">Port on 127.0.0.1 (0 = any free port).</param>
/// <param name="CertificatePath">PEM certificate (chain) or PKCS#12 (.pfx, .p12) file.</param>
/// <param name="KeyPath">PEM private key file, when the key is not in <paramref name="CertificatePath"/>.</param>
/// <param name="GrpcPort">Port of gRPC ingest over TLS (HTTP/2 with ALPN h2), or <c>null</c> for none.</param>
public sealed record HubTls(int MqttPort, string CertificatePath, string? KeyPath, int? GrpcPort = null)
{
    /// <summary>Loads the certificate with its private key.</summary>
    /// <exception cref="ArgumentException">A file is missing or holds no usable certificate and key; the message names the option and the file.</exception>
    public X509Certificate2 LoadCertificate()
    {
        if (!File.Exists(CertificatePath))
        {
            throw new ArgumentException($"--tls-cert: {CertificatePath} does not exist.");
        }

        if (KeyPath is not null && !File.Exists(KeyPath))
        {
            throw new ArgumentException($"--tls-key: {KeyPath} does not exist.");
        }

        X509Certificate2 certificate;
        try
        {
            var extension = Path.GetExtension(CertificatePath);
            certificate = extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, password: null)
                : X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"--tls-cert {CertificatePath}{(KeyPath is null ? "" : $" --tls-key {KeyPath}")}: not a certificate with its private key ({ex.Message.TrimEnd('.')}). Give PEM files (certificate, and key unless it is in the same file) or a PKCS#12 file without a password.", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ArgumentException($"--tls-cert {CertificatePath}: the certificate has no private key; give it with --tls-key.");
        }

        return certificate;
    }
}
