using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IotHub.IntegrationTests;

/// <summary>A self-signed certificate for 127.0.0.1, written as PEM files, that tests give the hub for TLS and trust as its CA.</summary>
internal static class TestCertificate
{
    /// <summary>Writes <c>hub-cert.pem</c> and <c>hub-key.pem</c> into <paramref name="folder"/>; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(string folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=iothub-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(folder, "hub-cert.pem");
        var keyPath = Path.Combine(folder, "hub-key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
