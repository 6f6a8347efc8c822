using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using IotHub.Storage;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using MQTTnet.AspNetCore;
using MQTTnet.Protocol;

namespace IotHub.Ingest;

/// <summary>
/// The <c>direct</c> MQTT engine (<c>Mqtt:Engine=direct</c>): device telemetry sessions are served
/// by one loop per connection on Kestrel's pipes that reads a packet, runs the hub's durable ingest
/// (<see cref="MqttIngest.PublishAsync"/>: the same checks, rate limit, group commit) and writes the
/// PUBACK, without MQTTnet's per-packet thread hops and packet queues. Everything else goes to
/// MQTTnet on the same connection: sessions it does not serve are handed over before the CONNACK
/// (admin sessions, unknown credentials, wills, persistent sessions, enhanced authentication,
/// MQTT 3.1), and a device session that subscribes is handed over at its SUBSCRIBE (MQTTnet reads
/// the CONNECT again, its CONNACK is not sent twice). Bad input closes the connection with a logged
/// reason (and an MQTT 5 DISCONNECT naming it).
/// </summary>
public sealed partial class MqttDirectConnectionHandler : ConnectionHandler, IDisposable
{
    // Largest CONNECT read here; larger ones (long wills) go to MQTTnet.
    private const int MaxConnectBytes = 64 * 1024;

    // Packets up to this size are parsed in the pipe; only a PUBLISH (a still) may be larger.
    private const int SmallPacketBytes = 256 * 1024;

    // How long a closing connection's last bytes (the DISCONNECT) may take to leave before it is aborted.
    private static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(5);

    // A PUBLISH carries at most a still, its topic and properties.
    private readonly int _maxPacketBytes;
    private readonly MqttIngest _ingest;
    private readonly MqttConnectionHandler _mqttnet;
    private readonly ILogger<MqttDirectConnectionHandler> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly ITimer _keepAliveTimer;

    /// <summary>Creates the engine; MQTTnet's handler serves what it hands over.</summary>
    public MqttDirectConnectionHandler(MqttIngest ingest, MqttConnectionHandler mqttnet, IngestOptions options, TimeProvider time, ILogger<MqttDirectConnectionHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _ingest = ingest;
        _mqttnet = mqttnet;
        _logger = logger;
        _time = time;
        _maxPacketBytes = Math.Max(options.MaxImageBytes, options.MaxPayloadBytes) + 70 * 1024;
        _keepAliveTimer = time.CreateTimer(_ => CheckKeepAlive(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <inheritdoc />
    public void Dispose() => _keepAliveTimer.Dispose();

    /// <inheritdoc />
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var input = connection.Transport.Input;
        var remote = connection.RemoteEndPoint?.ToString() ?? "?";

        // The CONNECT is only looked at here, not consumed: a session handed to MQTTnet reads it itself.
        var (connectBytes, connect, device) = await ReadConnectAsync(connection, remote);
        if (connectBytes is null)
        {
            return;
        }

        if (connect is null || device is null)
        {
            // Off the inline socket thread first: MQTTnet's packet loop and fan-out must not stall epoll.
            await Task.Yield();
            await _mqttnet.OnConnectedAsync(connection);
            return;
        }

        var v5 = connect.Level == 5;
        string? assigned = null;
        if (connect.ClientId.Length == 0)
        {
            // MQTT 3.1.1 §3.1.3.1 and MQTT 5 §3.1.3.1: a zero-length client id asks the server to assign one.
            assigned = device.Id + "-" + Guid.NewGuid().ToString("N")[..12];
        }

        var session = new Session(connection, connect, assigned ?? connect.ClientId, device.Id, _ingest.NewConnectionColumns(), _time.GetTimestamp());
        while (!_sessions.TryAdd(session.ClientId, session))
        {
            // A new connection with the same client id takes the session over (MQTT 3.1.1 §3.1.4, MQTT 5 §3.1.4).
            if (_sessions.TryGetValue(session.ClientId, out var previous) && _sessions.TryUpdate(session.ClientId, session, previous))
            {
                previous.Close(_logger, "another connection with the same client id took the session over");
                break;
            }
        }

        _ingest.DeviceConnection(device.Id, connected: true);
        var handedOver = false;
        try
        {
            MqttPackets.WriteConnAck(connection.Transport.Output, v5, 0, v5 ? assigned : null, _maxPacketBytes, null);
            await connection.Transport.Output.FlushAsync();
            handedOver = await RunAsync(session, connectBytes, remote);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or ConnectionAbortedException or IOException)
        {
            // The peer went away, or the session was closed (keep-alive, takeover).
        }
        finally
        {
            // The teardown is not the ingest log's work, whichever thread the loop ended on.
            await LeaveLogThreadAsync();
            _sessions.TryRemove(new KeyValuePair<string, Session>(session.ClientId, session));
            if (!handedOver)
            {
                // A session handed over was counted out at the hand-over; MQTTnet counts it from there.
                _ingest.DeviceConnection(device.Id, connected: false);
                await input.CompleteAsync();
                await connection.Transport.Output.CompleteAsync();
            }
        }
    }

    /// <summary>
    /// Waits for the first packet. Returns its bytes (a copy), the CONNECT read from them and the device
    /// it authenticated, for a session this engine serves; bytes without the CONNECT and device when
    /// MQTTnet serves the session; null bytes when the connection was closed (bad first packet, or the peer left).
    /// </summary>
    private async Task<(byte[]? Bytes, MqttPackets.ConnectPacket? Connect, DeviceRecord? Device)> ReadConnectAsync(ConnectionContext connection, string remote)
    {
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                LogClosed(_logger, remote, "?", "no CONNECT within 10 s of the connection");
                await input.CompleteAsync();
                return (null, null, null);
            }
            catch (Exception ex) when (ex is ConnectionResetException or IOException)
            {
                return (null, null, null);
            }

            var buffer = result.Buffer;
            if (MqttPackets.TryReadFixedHeader(buffer, out var first, out var remaining, out var headerLength, out var malformed))
            {
                if (first >> 4 != MqttPackets.Connect || (first & 0x0F) != 0)
                {
                    input.AdvanceTo(buffer.Start);
                    await CloseAsync(connection, remote, "?", null, $"the first packet is of type {first >> 4}, not CONNECT");
                    return (null, null, null);
                }

                if (remaining > MaxConnectBytes)
                {
                    input.AdvanceTo(buffer.Start);
                    return ([], null, null);
                }

                if (buffer.Length >= headerLength + remaining)
                {
                    var packet = buffer.Slice(0, headerLength + remaining);
                    var body = packet.Slice(headerLength);
                    var problem = MqttPackets.TryReadConnect(body, out var connect);
                    if (problem is not null)
                    {
                        input.AdvanceTo(buffer.Start);
                        await CloseAsync(connection, remote, "?", null, "malformed CONNECT: " + problem);
                        return (null, null, null);
                    }

                    if (connect.Level is not (3 or 4 or 5))
                    {
                        // MQTT 3.1.1 §3.1.2.2: CONNACK return code 1 (unacceptable protocol level), then close.
                        input.AdvanceTo(buffer.Start);
                        MqttPackets.WriteConnAck(connection.Transport.Output, v5: false, 0x01, null, 0, null);
                        await CloseAsync(connection, remote, connect.ClientId, null, $"protocol level {connect.Level} is not MQTT 3.1, 3.1.1 or 5");
                        return (null, null, null);
                    }

                    if (ServedDevice(connect, remote) is not { } device)
                    {
                        input.AdvanceTo(buffer.Start);
                        return ([], null, null);
                    }

                    var bytes = packet.ToArray();
                    input.AdvanceTo(packet.End);
                    return (bytes, connect, device);
                }
            }
            else if (malformed)
            {
                input.AdvanceTo(buffer.Start);
                await CloseAsync(connection, remote, "?", null, "the first packet's remaining length is not a valid variable byte integer");
                return (null, null, null);
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                await input.CompleteAsync();
                return (null, null, null);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// The device whose session this engine serves (a device, clean, without will or enhanced auth, MQTT 3.1.1 or 5),
    /// or null when MQTTnet serves it.
    /// </summary>
    private DeviceRecord? ServedDevice(MqttPackets.ConnectPacket connect, string remote)
    {
        if (connect.Level is not (4 or 5) || connect.HasWill || connect.HasAuthenticationMethod
            || (connect.Level == 4 && !connect.CleanSession) || (connect.Level == 5 && connect.SessionExpiry > 0))
        {
            LogHandedOver(_logger, remote, connect.ClientId, "protocol level, will, persistent session or enhanced authentication");
            return null;
        }

        // Admin sessions and refused credentials: MQTTnet answers them as it always did.
        return _ingest.Authenticate(connect.ClientId, connect.UserName, connect.Password).Device;
    }

    /// <summary>The packet loop of a device session. Returns true when the session was handed to MQTTnet.</summary>
    private async Task<bool> RunAsync(Session session, byte[] connectBytes, string remote)
    {
        var connection = session.Connection;
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var v5 = session.Connect.Level == 5;
        var token = session.Closing.Token;
        byte[]? large = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(token);
                if (IngestLogAcks.OnLogThread)
                {
                    // The read completed at once on the ingest log's flusher thread (the device sent more
                    // before its ack arrived): that thread only writes acks, the packets are read on the pool.
                    input.AdvanceTo(result.Buffer.Start);
                    await LeaveLogThreadAsync();
                    continue;
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    // Keep-alive counts bytes arriving, not only whole packets (a still takes a while on a slow link).
                    session.Touch(_time.GetTimestamp());
                }

                var consumed = buffer.Start;
                MqttProblem? problem = null;
                var pending = false;
                while (true)
                {
                    var rest = buffer.Slice(consumed);
                    if (!MqttPackets.TryReadFixedHeader(rest, out var first, out var remaining, out var headerLength, out var malformed))
                    {
                        if (malformed)
                        {
                            problem = MqttProblem.Malformed("a remaining length is not a valid variable byte integer");
                        }

                        break;
                    }

                    if (headerLength + remaining > _maxPacketBytes
                        || (first >> 4 != MqttPackets.Publish && headerLength + remaining > SmallPacketBytes))
                    {
                        // Only a PUBLISH (a still) may be larger than the pipe holds; the limit is checked before buffering it.
                        var limit = first >> 4 == MqttPackets.Publish ? _maxPacketBytes : SmallPacketBytes;
                        problem = new MqttProblem(MqttDisconnect.PacketTooLarge, $"a packet of type {first >> 4} of {headerLength + remaining} bytes exceeds the limit of {limit} bytes");
                        break;
                    }

                    if (rest.Length < headerLength + remaining)
                    {
                        break;
                    }

                    var body = rest.Slice(headerLength, remaining);
                    var type = first >> 4;
                    var flags = first & 0x0F;
                    switch (type)
                    {
                        case MqttPackets.Publish:
                            (problem, var acked) = await PublishAsync(session, flags, body, output, v5);
                            pending |= acked;
                            break;
                        case MqttPackets.PubRel when flags == 0x02 && remaining >= 2:
                            var pubRel = new SequenceReader<byte>(body);
                            pubRel.TryReadBigEndian(out short releasedId);
                            var released = (ushort)releasedId;
                            session.QoS2Pending.Remove(released);
                            MqttPackets.WriteShort(output, 0x70, released);
                            pending = true;
                            break;
                        case MqttPackets.PingReq when flags == 0 && remaining == 0:
                            MqttPackets.WriteShort(output, 0xD0, null);
                            pending = true;
                            break;
                        case MqttPackets.Disconnect when flags == 0:
                            input.AdvanceTo(buffer.End);
                            if (pending)
                            {
                                await output.FlushAsync(token);
                            }

                            return false;
                        case MqttPackets.Subscribe or MqttPackets.Unsubscribe when flags == 0x02:
                            // Subscriptions are MQTTnet's: it gets the connection from here on, reading the
                            // CONNECT again first (its CONNACK is dropped: the client has one).
                            if (pending)
                            {
                                await output.FlushAsync(token);
                            }

                            input.AdvanceTo(buffer.Slice(consumed).Start);
                            await HandOverAsync(session, connectBytes);
                            return true;
                        default:
                            problem = new MqttProblem(MqttDisconnect.ProtocolError, $"packet type {type} with flags 0x{flags:X} is not valid from a client here");
                            break;
                    }

                    if (problem is not null)
                    {
                        break;
                    }

                    consumed = rest.GetPosition(headerLength + remaining);
                    if (IngestLogAcks.OnLogThread && rest.Length > headerLength + remaining)
                    {
                        // More packets in this read: the acks so far go out now, the rest is read off the log's thread.
                        if (pending)
                        {
                            await output.FlushAsync(token);
                            pending = false;
                        }

                        await LeaveLogThreadAsync();
                    }
                }

                if (problem is { } refused)
                {
                    input.AdvanceTo(buffer.End);
                    if (pending)
                    {
                        await output.FlushAsync(token);
                    }

                    await CloseForAsync(session, remote, refused);
                    return false;
                }

                if (pending)
                {
                    await output.FlushAsync(token);
                }

                if (result.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    return false;
                }

                // A PUBLISH larger than the pipe holds is copied out as it arrives (stills of up to MaxImageBytes);
                // its size was checked against the limit above.
                var unread = buffer.Slice(consumed);
                if (MqttPackets.TryReadFixedHeader(unread, out var largeFirst, out var need, out var header, out _)
                    && largeFirst >> 4 == MqttPackets.Publish && header + need > SmallPacketBytes && unread.Length < header + need)
                {
                    await LeaveLogThreadAsync();
                    large = ArrayPool<byte>.Shared.Rent(header + need);
                    var filled = await ReadLargeAsync(session, input, unread, large, header + need, token);
                    if (filled < 0)
                    {
                        return false;
                    }

                    var (largeProblem, largePending) = await PublishAsync(session, largeFirst & 0x0F, new ReadOnlySequence<byte>(large, header, need), output, v5);
                    ArrayPool<byte>.Shared.Return(large);
                    large = null;
                    if (largeProblem is { } largeRefused)
                    {
                        await CloseForAsync(session, remote, largeRefused);
                        return false;
                    }

                    if (largePending)
                    {
                        await output.FlushAsync(token);
                    }

                    continue;
                }

                input.AdvanceTo(consumed, buffer.End);
            }
        }
        finally
        {
            if (large is not null)
            {
                ArrayPool<byte>.Shared.Return(large);
            }
        }
    }

    // Copies a packet that does not fit the pipe's buffer into `target`, consuming it from the pipe. -1 if the peer left.
    private async Task<int> ReadLargeAsync(Session session, PipeReader input, ReadOnlySequence<byte> start, byte[] target, int length, CancellationToken token)
    {
        start.CopyTo(target);
        var filled = (int)start.Length;
        input.AdvanceTo(start.End);
        while (filled < length)
        {
            var result = await input.ReadAsync(token);
            await LeaveLogThreadAsync();
            session.Touch(_time.GetTimestamp());
            var take = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, length - filled));
            take.CopyTo(target.AsSpan(filled));
            filled += (int)take.Length;
            input.AdvanceTo(take.End);
            if (filled < length && result.IsCompleted)
            {
                return -1;
            }
        }

        return filled;
    }

    /// <summary>One PUBLISH: ingest, then the PUBACK (QoS 1) or PUBREC (QoS 2) written, not yet flushed.</summary>
    private async Task<(MqttProblem? Problem, bool Pending)> PublishAsync(Session session, int flags, ReadOnlySequence<byte> body, PipeWriter output, bool v5)
    {
        var qos = (flags >> 1) & 0x03;
        if (qos == 3)
        {
            return (MqttProblem.Malformed("PUBLISH with QoS 3"), false);
        }

        var problem = MqttPackets.TryReadPublish(body, qos, v5, out var packet);
        if (problem is not null)
        {
            return (problem, false);
        }

        var topic = session.TopicText(packet.Topic);
        if (topic is null)
        {
            return (new MqttProblem(MqttDisconnect.TopicNameInvalid, "PUBLISH's topic name is not valid UTF-8 or contains wildcards"), false);
        }

        var contentType = packet.ContentType is { } ct ? session.ContentTypeText(ct) : null;
        var packetId = packet.PacketId;
        var message = new MqttPublish(topic, packet.Payload, contentType, packet.BatchSequence, Retain: (flags & 0x01) != 0);
        if (qos == 2 && session.QoS2Pending.Contains(packetId))
        {
            // A resent QoS 2 publish whose PUBREC was lost: already handled (exactly once).
            MqttPackets.WriteAck(output, 0x50, packetId, v5, 0, null, 0);
            return (null, true);
        }

        if (qos == 2 && v5 && session.QoS2Pending.Count >= MqttPackets.ReceiveMaximum)
        {
            // MQTT 5 §3.3.4: more unacknowledged publishes than the CONNACK's Receive Maximum.
            return (new MqttProblem(MqttDisconnect.ReceiveMaximumExceeded, $"more than the Receive Maximum of {MqttPackets.ReceiveMaximum} QoS 2 publishes unreleased"), false);
        }

        // The ack needs no more than the PUBACK written: the ingest log completes this write on its
        // flusher thread right after the group's fdatasync (no thread hop), and the loop goes on there
        // until it has written the PUBACK and has to wait for the device's next packet.
        ValueTask<PublishVerdict> pendingVerdict;
        using (IngestLogAcks.CompleteOnLogThread())
        {
            pendingVerdict = _ingest.PublishAsync(session.DeviceId, isDevice: true, session.Columns, message, session.Closing.Token);
        }

        PublishVerdict verdict;
        if (pendingVerdict.IsCompleted)
        {
            verdict = pendingVerdict.Result;
        }
        else
        {
            // Waiting on the store (its group commit or backpressure) is not the device being silent.
            session.Storing(true);
            try
            {
                verdict = await pendingVerdict;
            }
            finally
            {
                session.Storing(false);
                session.Touch(_time.GetTimestamp());
            }
        }

        if (verdict.CloseConnection)
        {
            return (new MqttProblem(MqttDisconnect.ImplementationSpecificError, "the store could not commit a publish: closed unacknowledged so the device resends it"), false);
        }

        if (verdict.Relay)
        {
            // Relaying to subscribers is the broker's work, not the log's: off its thread first.
            await LeaveLogThreadAsync();
            await _ingest.RelayAsync(session.ClientId, message, (MqttQualityOfServiceLevel)qos);
        }

        if (qos == 0)
        {
            return (null, false);
        }

        if (qos == 2 && (byte)verdict.Code < 0x80)
        {
            // MQTT 5 §4.3.3: a PUBREC with a refusal code ends the exchange (no PUBREL comes) and frees the id.
            session.QoS2Pending.Add(packetId);
        }

        var reason = session.Connect.WantsReasonStrings ? verdict.ReasonString : null;
        MqttPackets.WriteAck(output, qos == 1 ? (byte)0x40 : (byte)0x50, packetId, v5, (byte)verdict.Code, reason, (int)Math.Min(session.Connect.ClientMaximumPacketSize, int.MaxValue));
        return (null, true);
    }

    /// <summary>Continues on the thread pool when running on the ingest log's flusher thread.</summary>
    private static async ValueTask LeaveLogThreadAsync()
    {
        if (IngestLogAcks.OnLogThread)
        {
            await Task.Yield();
        }
    }

    /// <summary>Gives the connection to MQTTnet: its input starts again with the CONNECT, its CONNACK is dropped.</summary>
    private async Task HandOverAsync(Session session, byte[] connectBytes)
    {
        _sessions.TryRemove(new KeyValuePair<string, Session>(session.ClientId, session));
        _ingest.DeviceConnection(session.DeviceId, connected: false);
        var remote = session.Connection.RemoteEndPoint?.ToString() ?? "?";
        LogHandedOver(_logger, remote, session.ClientId, "SUBSCRIBE or UNSUBSCRIBE");
        var connect = connectBytes;
        if (session.AssignedClientId)
        {
            // MQTTnet would assign another id (or refuse an empty one for 3.1.1): it gets the one this session has.
            connect = MqttPackets.ConnectWithClientId(connect, session.ClientId);
        }

        // Off the inline socket thread first: MQTTnet's packet loop and fan-out must not stall epoll.
        await Task.Yield();
        await _mqttnet.OnConnectedAsync(new HandedOverConnection(session.Connection, connect));
    }

    private void CheckKeepAlive()
    {
        var now = _time.GetTimestamp();
        foreach (var session in _sessions.Values)
        {
            if (session.KeepAliveExpired(now, _time))
            {
                session.Close(_logger, $"no packet within 1.5 x the keep-alive of {session.Connect.KeepAliveSeconds} s");
            }
        }
    }

    /// <summary>Closes a session for a problem in what it sent (MQTT 5: a DISCONNECT naming it), off the log's thread.</summary>
    private async Task CloseForAsync(Session session, string remote, MqttProblem problem)
    {
        await LeaveLogThreadAsync();
        await CloseAsync(session.Connection, remote, session.ClientId, session.Connect.Level == 5 ? problem.Code : null, problem.Reason);
    }

    private async Task CloseAsync(ConnectionContext connection, string remote, string clientId, MqttDisconnect? disconnect, string reason)
    {
        LogClosed(_logger, remote, clientId, reason);
        try
        {
            if (disconnect is { } code)
            {
                MqttPackets.WriteDisconnect(connection.Transport.Output, (byte)code, reason);
                using var timeout = new CancellationTokenSource(CloseFlushTimeout);
                await connection.Transport.Output.FlushAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // A peer that reads nothing does not hold the connection open.
            connection.Abort(new ConnectionAbortedException($"the DISCONNECT was not taken within {CloseFlushTimeout.TotalSeconds} s"));
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or InvalidOperationException)
        {
            // The peer is gone already.
        }

        await connection.Transport.Output.CompleteAsync();
        await connection.Transport.Input.CompleteAsync();
    }

    /// <summary>A device session served by the engine.</summary>
    private sealed class Session(ConnectionContext connection, MqttPackets.ConnectPacket connect, string clientId, string deviceId, MqttIngest.ConnectionColumns columns, long started)
    {
        private long _lastPacket = started;
        private bool _storing;
        private byte[] _topicBytes = [];
        private string _topic = "";
        private byte[] _contentTypeBytes = [];
        private string _contentType = "";

        public ConnectionContext Connection { get; } = connection;

        public MqttPackets.ConnectPacket Connect { get; } = connect;

        public string ClientId { get; } = clientId;

        public bool AssignedClientId => Connect.ClientId.Length == 0;

        public string DeviceId { get; } = deviceId;

        public MqttIngest.ConnectionColumns Columns { get; } = columns;

        public CancellationTokenSource Closing { get; } = new();

        /// <summary>Packet ids of QoS 2 publishes answered with PUBREC and not yet released.</summary>
        public HashSet<ushort> QoS2Pending { get; } = [];

        public void Touch(long now) => Volatile.Write(ref _lastPacket, now);

        /// <summary>Notes the loop waiting on the store for a publish (true) or done with it (false).</summary>
        public void Storing(bool storing) => Volatile.Write(ref _storing, storing);

        /// <summary>Whether nothing arrived for 1.5 x the keep-alive while the loop was not waiting on the store.</summary>
        public bool KeepAliveExpired(long now, TimeProvider time) =>
            Connect.KeepAliveSeconds > 0
            && !Volatile.Read(ref _storing)
            && time.GetElapsedTime(Volatile.Read(ref _lastPacket), now) > TimeSpan.FromSeconds(Connect.KeepAliveSeconds * 1.5);

        /// <summary>The topic as text; the last one is kept, a device publishes to the same topics. Null when not valid.</summary>
        public string? TopicText(in ReadOnlySequence<byte> bytes)
        {
            if (MqttPackets.SequenceEquals(bytes, _topicBytes))
            {
                return _topic;
            }

            var raw = bytes.ToArray();
            if (!System.Text.Unicode.Utf8.IsValid(raw) || raw.AsSpan().IndexOfAny((byte)'#', (byte)'+', (byte)0) >= 0)
            {
                return null;
            }

            _topicBytes = raw;
            _topic = Encoding.UTF8.GetString(raw);
            return _topic;
        }

        /// <summary>The content type as text, the last one kept.</summary>
        public string ContentTypeText(in ReadOnlySequence<byte> bytes)
        {
            if (!MqttPackets.SequenceEquals(bytes, _contentTypeBytes))
            {
                _contentTypeBytes = bytes.ToArray();
                _contentType = Encoding.UTF8.GetString(_contentTypeBytes);
            }

            return _contentType;
        }

        /// <summary>Closes the session from outside its loop (keep-alive, takeover): the loop ends with the abort.</summary>
        public void Close(ILogger logger, string reason)
        {
            var remote = Connection.RemoteEndPoint?.ToString() ?? "?";
            LogClosed(logger, remote, ClientId, reason);
            Closing.Cancel();
            Connection.Abort(new ConnectionAbortedException(reason));
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "MQTT connection from {Remote} (client '{ClientId}') closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string remote, string clientId, string reason);

    [LoggerMessage(EventId = 211, Level = LogLevel.Debug, Message = "MQTT connection from {Remote} (client '{ClientId}') handed to MQTTnet: {Why}")]
    private static partial void LogHandedOver(ILogger logger, string remote, string clientId, string why);
}
