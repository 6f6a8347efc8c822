using Grpc.Core;
using MQTTnet.Exceptions;

namespace IotHub.Edge;

/// <summary>Tells a lost or unreachable connection (retried with backoff) from a bug.</summary>
internal static class UplinkFailures
{
    public static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && ex is MqttCommunicationException or RpcException or HttpRequestException or InvalidOperationException
            or TimeoutException or OperationCanceledException or IOException or System.Net.Sockets.SocketException;

    /// <summary>The TLS handshake failure (an untrusted or mismatched certificate) behind a connection failure, if that was the cause.</summary>
    public static System.Security.Authentication.AuthenticationException? TlsFailure(Exception ex)
    {
        for (Exception? cause = ex; cause is not null; cause = cause.InnerException)
        {
            if (cause is System.Security.Authentication.AuthenticationException tls)
            {
                return tls;
            }
        }

        return null;
    }
}
