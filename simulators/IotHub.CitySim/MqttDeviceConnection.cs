using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace IotHub.CitySim;

/// <summary>
/// The smallest MQTT 3.1.1 client a simulated device needs: CONNECT with its id and token,
/// PUBLISH at QoS 1 and wait for the PUBACK, one message in flight. A full client (MQTTnet)
/// costs tens of kilobytes and a few tasks per connection; this costs a socket and a small
/// buffer, so one process can hold 100,000 devices. Not thread-safe: one caller at a time.
/// </summary>
internal sealed class MqttDeviceConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _ack = new byte[4];
    private ushort _packetId;

    private MqttDeviceConnection(Socket socket) => _socket = socket;

    /// <summary>Connects and authenticates (client id = device id, user name = device id, password = token).</summary>
    /// <param name="server">The hub's MQTT endpoint.</param>
    /// <param name="source">Local address to connect from (127.0.0.x spreads connections over more ephemeral ports), or <c>null</c>.</param>
    /// <param name="deviceId">Device id: MQTT client id and user name.</param>
    /// <param name="token">The device's token: MQTT password.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <exception cref="IOException">The hub refused the connection (with the CONNACK return code) or closed it.</exception>
    public static async Task<MqttDeviceConnection> ConnectAsync(IPEndPoint server, IPAddress? source, string deviceId, string token, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null && !source.Equals(IPAddress.Loopback))
            {
                // IP_BIND_ADDRESS_NO_PORT (Linux): choose the port at connect, per destination, not at
                // bind, where the kernel searches the whole range for a port no socket holds.
                if (OperatingSystem.IsLinux())
                {
                    socket.SetRawSocketOption(0, 24, [1, 0, 0, 0]);
                }

                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(server, cancellationToken);
            var connection = new MqttDeviceConnection(socket);
            await connection.SendAsync(Connect(deviceId, token), cancellationToken);
            await connection.ReceiveExactlyAsync(4, cancellationToken);

            // CONNACK: 0x20, remaining length 2, session present, return code (MQTT 3.1.1 §3.2.2.3).
            if (connection._ack[0] != 0x20 || connection._ack[3] != 0)
            {
                throw new IOException($"device {deviceId}: the hub refused the connection (CONNACK return code {connection._ack[3]}).");
            }

            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Publishes <paramref name="payload"/> at QoS 1 and waits for its PUBACK.</summary>
    public async Task PublishAsync(byte[] topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        _packetId = (ushort)(_packetId == ushort.MaxValue ? 1 : _packetId + 1);
        int remaining = 2 + topic.Length + 2 + payload.Length;
        var packet = new byte[1 + LengthBytes(remaining) + remaining];
        int at = 0;
        packet[at++] = 0x32; // PUBLISH, QoS 1
        at += WriteLength(packet.AsSpan(at), remaining);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)topic.Length);
        at += 2;
        topic.CopyTo(packet, at);
        at += topic.Length;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), _packetId);
        at += 2;
        payload.Span.CopyTo(packet.AsSpan(at));
        await SendAsync(packet, cancellationToken);
        await ReceiveExactlyAsync(4, cancellationToken);
        if (_ack[0] != 0x40 || BinaryPrimitives.ReadUInt16BigEndian(_ack.AsSpan(2)) != _packetId)
        {
            throw new IOException("expected the PUBACK of the message just sent.");
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            // DISCONNECT, so the hub does not log an unexpected close.
            _socket.Send([0xE0, 0x00]);
        }
        catch (SocketException)
        {
        }

        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static byte[] Connect(string deviceId, string token)
    {
        byte[] id = Encoding.UTF8.GetBytes(deviceId);
        byte[] password = Encoding.UTF8.GetBytes(token);

        // Variable header: protocol name "MQTT", level 4, flags (user name, password, clean session), keep alive 0 (none).
        int remaining = 10 + 2 + id.Length + 2 + id.Length + 2 + password.Length;
        var packet = new byte[1 + LengthBytes(remaining) + remaining];
        int at = 0;
        packet[at++] = 0x10;
        at += WriteLength(packet.AsSpan(at), remaining);
        ReadOnlySpan<byte> header = [0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0xC2, 0x00, 0x00];
        header.CopyTo(packet.AsSpan(at));
        at += header.Length;
        foreach (var text in new[] { id, id, password })
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)text.Length);
            at += 2;
            text.CopyTo(packet, at);
            at += text.Length;
        }

        return packet;
    }

    private static int LengthBytes(int length) => length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4;

    // Variable byte integer, MQTT 3.1.1 §2.2.3.
    private static int WriteLength(Span<byte> destination, int length)
    {
        int at = 0;
        do
        {
            byte digit = (byte)(length % 128);
            length /= 128;
            destination[at++] = length > 0 ? (byte)(digit | 0x80) : digit;
        }
        while (length > 0);
        return at;
    }

    private async Task SendAsync(byte[] packet, CancellationToken cancellationToken)
    {
        int sent = 0;
        while (sent < packet.Length)
        {
            sent += await _socket.SendAsync(packet.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
    }

    private async Task ReceiveExactlyAsync(int count, CancellationToken cancellationToken)
    {
        int received = 0;
        while (received < count)
        {
            int read = await _socket.ReceiveAsync(_ack.AsMemory(received, count - received), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the hub closed the connection.");
            }

            received += read;
        }
    }
}
