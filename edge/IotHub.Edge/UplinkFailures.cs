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
}
