using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace IotHub.Hub;

/// <summary>
/// The socket transport of the MQTT listener with the direct engine (<c>Mqtt:InlineSockets</c>): Kestrel's
/// socket transport with <see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/>, so a connection's
/// packet loop runs on the thread that completed the socket's receive instead of being queued to the
/// thread pool, and its PUBACK is sent by the thread that writes it. Only endpoints created as
/// <see cref="InlineEndPoint"/> are bound here; HTTP, gRPC and TCP line protocol keep Kestrel's
/// default transport (their request handling may block, which on an I/O thread would stall every
/// connection it serves).
/// </summary>
internal sealed class InlineMqttTransport(ILoggerFactory loggerFactory) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    // The environment variable of .NET's socket layer that runs socket completions on its epoll threads.
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private readonly SocketTransportFactory _sockets = new(
        Options.Create(new SocketTransportOptions { UnsafePreferInlineScheduling = true }), loggerFactory);

    /// <inheritdoc />
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var inline = (InlineEndPoint)endpoint;
        return _sockets.BindAsync(new IPEndPoint(inline.Address, inline.Port), cancellationToken);
    }

    /// <inheritdoc />
    public bool CanBind(EndPoint endpoint) => endpoint is InlineEndPoint;

    /// <summary>
    /// Asks .NET's socket layer to run socket completions on its epoll threads (process-wide; read when the
    /// first socket operation starts, so this must run before any). Without it the inline scheduling above
    /// still starts from a thread-pool thread: one hop per receive. An explicit setting in the
    /// environment wins.
    /// </summary>
    public static void EnableInlineCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }
}

/// <summary>An IP endpoint that <see cref="InlineMqttTransport"/> binds.</summary>
internal sealed class InlineEndPoint(IPAddress address, int port) : IPEndPoint(address, port);
