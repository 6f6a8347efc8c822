using System.Buffers;
using IotHub.Storage;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotHub.Ingest;

/// <summary>
/// The MQTT side of ingest, attached to the hub's broker: authenticates devices at CONNECT,
/// allows each only its own topics, decodes telemetry, and acknowledges a QoS 1 publish only
/// after its points are committed to the store (MQTTnet sends the PUBACK when this handler
/// returns, so a slow store delays acks and, through the client's in-flight window, slows it).
/// </summary>
public sealed partial class MqttIngest(
    DeviceRegistry registry,
    DuckDbStore store,
    TelemetryMapper mapper,
    LatestImages images,
    IngestOptions options,
    IngestMetrics metrics,
    DeviceRateLimiter rateLimiter,
    AdminCredentials admin,
    TimeProvider time,
    ILogger<MqttIngest> logger)
{
    private const string Listener = "mqtt";

    private readonly LineProtocolReaderOptions _lineOptions = new() { MaxLineLength = options.MaxLineBytes };

    // Connected admin sessions: the only ones allowed to subscribe to device topics.
    private int _adminSessions;

    // The broker, for the publishes the direct engine read and that go on to subscribers.
    private MqttServer? _server;

    /// <summary>Subscribes to the broker's events.</summary>
    public void Attach(MqttServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server;
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.ClientConnectedAsync += OnConnectedAsync;
        server.ClientDisconnectedAsync += OnDisconnectedAsync;
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var password = e.RawPassword is null || e.RawPassword.Length == 0 ? null : e.Password;
        var identity = Authenticate(e.ClientId, e.UserName, password);
        if (identity.IsAdmin)
        {
            e.SessionItems[MqttSessionKeys.Admin] = true;
            AssignClientIdIfEmpty(e, "admin");
            return Task.CompletedTask;
        }

        if (identity.Device is { } device)
        {
            e.SessionItems[MqttSessionKeys.Device] = device.Id;
            e.SessionItems[MqttSessionKeys.Columns] = NewConnectionColumns();
            AssignClientIdIfEmpty(e, device.Id);
            return Task.CompletedTask;
        }

        ConnectRefused(e.ClientId, e.UserName, e.RemoteEndPoint?.ToString());
        e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
        e.ReasonString = "unknown device or wrong token";
        return Task.CompletedTask;
    }

    /// <summary>
    /// Who a CONNECT's credentials name: the admin (user name <see cref="AdminCredentials.MqttUserName"/>,
    /// password = admin token), a device (client id or user name = device id with password = its token;
    /// or ThingsBoard style, user name = token and no password), or nobody.
    /// </summary>
    internal MqttIdentity Authenticate(string? clientId, string? userName, string? password)
    {
        if (string.Equals(userName, AdminCredentials.MqttUserName, StringComparison.Ordinal) && admin.Matches(password))
        {
            return new MqttIdentity(IsAdmin: true, Device: null);
        }

        return registry.TryAuthenticate(clientId, password, out var device)
            || registry.TryAuthenticate(userName, password, out device)
            || (password is null && registry.TryAuthenticateToken(userName, out device))
            ? new MqttIdentity(IsAdmin: false, device)
            : default;
    }

    /// <summary>Counts and logs a CONNECT refused for its credentials.</summary>
    internal void ConnectRefused(string? clientId, string? userName, string? remote)
    {
        metrics.Rejected(RejectReason.BadCredentials);
        LogConnectRefused(logger, clientId ?? "", userName ?? "", remote ?? "?");
    }

    /// <summary>A device connection's own line protocol columns.</summary>
    internal ConnectionColumns NewConnectionColumns() => new(LineColumns.ForConnection(mapper));

    /// <summary>Notes a device connection opened (or closed): connected-device tracking and metrics.</summary>
    internal void DeviceConnection(string deviceId, bool connected)
    {
        registry.SetConnected(deviceId, connected);
        if (connected)
        {
            registry.MarkMessage(deviceId, time.GetUtcNow());
        }
    }

    private static void AssignClientIdIfEmpty(ValidatingConnectionEventArgs e, string prefix)
    {
        // MQTT 3.1.1 §3.1.3.1 and MQTT 5 §3.1.3.1: a zero-length client id asks the server to assign one.
        if (!string.IsNullOrEmpty(e.ClientId))
        {
            return;
        }

        var assigned = prefix + "-" + Guid.NewGuid().ToString("N")[..12];
        e.AssignedClientIdentifier = assigned;

        // MQTTnet 5.2 applies AssignedClientIdentifier to MQTT 5 clients only and refuses an MQTT 3.1.1
        // client with an empty id (as mosquitto_pub sends by default), although 3.1.1 allows it with a
        // clean session. Its CONNECT packet is not exposed, so we set the id on it; the integration
        // test MosquittoPub_EmptyClientIdThingsBoardToken_ReadingStored guards this on upgrades.
        if (e.ProtocolVersion != MqttProtocolVersion.V500 && e.CleanSession != false
            && ConnectPacketField?.GetValue(e) is MqttConnectPacket packet)
        {
            packet.ClientId = assigned;
        }
    }

    private static readonly System.Reflection.FieldInfo? ConnectPacketField =
        typeof(ValidatingConnectionEventArgs).GetField("_connectPacket", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);

    private Task OnConnectedAsync(ClientConnectedEventArgs e)
    {
        if (e.SessionItems[MqttSessionKeys.Admin] is true)
        {
            Interlocked.Increment(ref _adminSessions);
        }

        if (e.SessionItems[MqttSessionKeys.Device] is string device)
        {
            DeviceConnection(device, connected: true);
        }

        return Task.CompletedTask;
    }

    private Task OnDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        if (e.SessionItems[MqttSessionKeys.Admin] is true)
        {
            Interlocked.Decrement(ref _adminSessions);
        }

        if (e.SessionItems[MqttSessionKeys.Device] is string device)
        {
            DeviceConnection(device, connected: false);
        }

        return Task.CompletedTask;
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (e.SessionItems[MqttSessionKeys.Admin] is true)
        {
            return Task.CompletedTask;
        }

        var deviceId = e.SessionItems[MqttSessionKeys.Device] as string;
        var filter = e.TopicFilter.Topic ?? "";
        if (deviceId is not null && IsOwnDownlinkFilter(filter, deviceId))
        {
            return Task.CompletedTask;
        }

        metrics.Rejected(RejectReason.TopicNotAuthorized);
        LogSubscribeRefused(logger, deviceId ?? e.ClientId, filter);
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        e.ReasonString = $"device '{deviceId}' may subscribe only to its own config and rpc/request topics";
        return Task.CompletedTask;
    }

    private static bool IsOwnDownlinkFilter(string filter, string deviceId)
    {
        var own = DeviceTopic.Prefix + deviceId + "/";
        return string.Equals(filter, own + "config", StringComparison.Ordinal)
            || string.Equals(filter, own + "rpc/request/+", StringComparison.Ordinal)
            || string.Equals(filter, "v1/devices/me/rpc/request/+", StringComparison.Ordinal)
            || string.Equals(filter, "v1/devices/me/attributes", StringComparison.Ordinal)
            || (filter.StartsWith(own + "rpc/request/", StringComparison.Ordinal) && filter.IndexOfAny(['#', '+'], own.Length) < 0);
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.SessionItems[MqttSessionKeys.Admin] is true)
        {
            return;
        }

        var message = e.ApplicationMessage;
        var verdict = await PublishAsync(
            e.SessionItems[MqttSessionKeys.Device] as string ?? e.ClientId,
            e.SessionItems[MqttSessionKeys.Device] is string,
            e.SessionItems[MqttSessionKeys.Columns] as ConnectionColumns,
            new MqttPublish(message.Topic, message.Payload, message.ContentType, BatchSequence(message), message.Retain),
            e.CancellationToken);
        e.ProcessPublish = verdict.Relay;
        e.CloseConnection = verdict.CloseConnection;
        if (verdict.Code != MqttPubAckReasonCode.Success)
        {
            e.Response.ReasonCode = verdict.Code;
            e.Response.ReasonString = verdict.ReasonString;
        }
    }

    /// <summary>
    /// Decides a device's publish, whichever engine read it: checks the topic and the payload,
    /// ingests telemetry and stills, and returns once the store has committed (or refused) it.
    /// </summary>
    /// <param name="who">The session's device id, or its client id when it has none.</param>
    /// <param name="isDevice">Whether the session authenticated as a device.</param>
    /// <param name="own">The connection's own columns (series kept from message to message), if any.</param>
    /// <param name="message">The publish.</param>
    /// <param name="cancellationToken">Ends with the connection.</param>
    internal async ValueTask<PublishVerdict> PublishAsync(string who, bool isDevice, ConnectionColumns? own, MqttPublish message, CancellationToken cancellationToken)
    {
        if (!isDevice || !registry.TryGet(who, out var device))
        {
            return Reject(who, message.Topic, RejectReason.TopicNotAuthorized, MqttPubAckReasonCode.NotAuthorized, "the session has no device");
        }

        var deviceId = device.Id;
        var topic = DeviceTopic.Parse(message.Topic);
        if (topic.Kind == TopicKind.Unknown)
        {
            return Reject(deviceId, message.Topic, RejectReason.UnknownTopic, MqttPubAckReasonCode.TopicNameInvalid,
                $"topic '{message.Topic}' is not in the scheme iothub/v1/{{deviceId}}/telemetry|image|state|rpc/response/{{id}}");
        }

        // ThingsBoard topics name no device: they are the connected device's own.
        if (topic.DeviceId is not null && !string.Equals(topic.DeviceId, deviceId, StringComparison.Ordinal))
        {
            return Reject(deviceId, message.Topic, RejectReason.TopicNotAuthorized, MqttPubAckReasonCode.NotAuthorized,
                $"device '{deviceId}' may not publish to device '{topic.DeviceId}'s topic '{message.Topic}'");
        }

        if (topic.Kind is TopicKind.Config or TopicKind.RpcRequest)
        {
            return Reject(deviceId, message.Topic, RejectReason.TopicNotAuthorized, MqttPubAckReasonCode.NotAuthorized,
                $"'{message.Topic}' is written by the hub, not by devices");
        }

        var payload = message.Payload;
        var limit = topic.Kind == TopicKind.Image ? options.MaxImageBytes : options.MaxPayloadBytes;
        if (payload.Length > limit)
        {
            return Reject(deviceId, message.Topic, RejectReason.PayloadTooLarge, MqttPubAckReasonCode.PayloadFormatInvalid,
                $"payload of {payload.Length} bytes exceeds the limit of {limit} bytes for {topic.Kind.ToString().ToLowerInvariant()}");
        }

        var verdict = topic.Kind switch
        {
            TopicKind.Telemetry => await IngestTelemetryAsync(device, own, message, cancellationToken),
            TopicKind.Image => StoreImage(device, message),
            _ => Mark(deviceId),
        };

        // MQTTnet matches every relayed message against the subscriptions of every session, so with
        // 10,000 devices connected each message costs 10,000 matches (measured: most of the hub's CPU
        // with 10,000 edge agents at 1,000 messages/s). Devices may subscribe only to their own config
        // and RPC topics, so only admin sessions can receive a device's messages: with none connected
        // there is nobody to relay to. Retained messages are still processed, so they are kept for
        // whoever subscribes later; the PUBACK is sent either way.
        return verdict.Relay && !message.Retain && Volatile.Read(ref _adminSessions) == 0 ? verdict with { Relay = false } : verdict;
    }

    /// <summary>
    /// Hands a publish the direct engine accepted to the broker, for its subscribers (admin sessions)
    /// and, if retained, for later ones. The payload is copied: the engine's buffer is reused.
    /// </summary>
    internal Task RelayAsync(string senderClientId, MqttPublish message, MqttQualityOfServiceLevel qos)
    {
        if (_server is null)
        {
            return Task.CompletedTask;
        }

        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(message.Topic)
            .WithPayload(message.Payload.ToArray())
            .WithQualityOfServiceLevel(qos)
            .WithRetainFlag(message.Retain);
        if (message.ContentType is not null)
        {
            builder.WithContentType(message.ContentType);
        }

        if (message.BatchSequence is { } sequence)
        {
            builder.WithUserProperty(UplinkProperties.BatchSequence, System.Text.Encoding.UTF8.GetBytes(sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)).AsMemory());
        }

        // Marked as the hub's own: the publish interceptor passes it on (it was checked and stored already).
        var items = new System.Collections.Hashtable { [MqttSessionKeys.Admin] = true };
        return _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(builder.Build()) { SenderClientId = senderClientId, CustomSessionItems = items });
    }

    // State and RPC responses are relayed to subscribers (the hub's services) as they are.
    private PublishVerdict Mark(string deviceId)
    {
        registry.MarkMessage(deviceId, time.GetUtcNow());
        return PublishVerdict.Stored;
    }

    private async ValueTask<PublishVerdict> IngestTelemetryAsync(DeviceRecord device, ConnectionColumns? own, MqttPublish message, CancellationToken cancellationToken)
    {
        var payload = message.Payload;
        if (PayloadFormats.Detect(message.ContentType, payload) == PayloadFormat.LineProtocol)
        {
            // Straight into columns: no object per point. Both engines hand a connection's publishes
            // over one at a time, so its own instance (series kept from the device's last message) is
            // free, unless a taken-over connection's last publish still holds it.
            var columns = own?.Take();
            var owned = columns is not null;
            columns ??= LineColumns.Rent(mapper);
            try
            {
                columns.Start(device);
                if (ReadWhole(payload, columns) is { } refusal)
                {
                    return Reject(device.Id, message.Topic, refusal.Reason, MqttPubAckReasonCode.PayloadFormatInvalid, refusal.Message);
                }

                return await CommitAsync(device, message, columns.PointsAccepted, batch => store.WriteColumnsAsync(columns.ToColumns(), batch, cancellationToken), cancellationToken);
            }
            finally
            {
                // Only now: the store read the column buffers while committing.
                if (owned)
                {
                    columns.Clear();
                    own!.PutBack(columns);
                }
                else
                {
                    LineColumns.Return(columns);
                }
            }
        }

        List<Point> points;
        try
        {
            var nowNs = TimeUnits.FromDateTimeOffset(time.GetUtcNow());
            var readings = JsonTelemetryDecoder.Decode(payload.IsSingleSegment ? payload.First : payload.ToArray(), options.MaxReadingsPerPayload, nowNs);
            points = mapper.Map(device, readings);
        }
        catch (PayloadException ex)
        {
            return Reject(device.Id, message.Topic, RejectReason.MalformedPayload, MqttPubAckReasonCode.PayloadFormatInvalid, ex.Message);
        }
        catch (IngestRejectedException ex)
        {
            return Reject(device.Id, message.Topic, ex.Reason, MqttPubAckReasonCode.PayloadFormatInvalid, ex.Message);
        }

        return await CommitAsync(device, message, points.Count, batch => store.WriteAsync(points, batch, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Reads a line protocol payload into the columns. A device's message is one unit: any bad
    /// line or refused point refuses all of it (so a resend is whole); the answer names the
    /// first problem, malformed lines before limits before the checks of a point.
    /// </summary>
    private (RejectReason Reason, string Message)? ReadWhole(ReadOnlySequence<byte> payload, LineColumns columns)
    {
        using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, TimeUnits.FromDateTimeOffset(time.GetUtcNow()), _lineOptions);
        var sink = columns.AsSink();
        var input = new SequenceReader<byte>(payload);
        LineProtocolError? firstError = null;
        var badLines = 0;
        while (true)
        {
            var status = reader.ReadNext(ref input, isFinalBlock: true, ref sink, out var error);
            if (status == LineProtocolReadStatus.InvalidLine)
            {
                firstError ??= error;
                badLines++;
            }
            else if (status != LineProtocolReadStatus.Point)
            {
                break;
            }
        }

        if (firstError is { } first)
        {
            return (RejectReason.MalformedPayload, "line protocol " + first + (badLines > 1 ? $" (and {badLines - 1} more bad lines)" : ""));
        }

        if (columns.PointsRead > mapper.MaxReadingsPerPayload)
        {
            return (RejectReason.TooManyReadings, $"{columns.PointsRead} readings exceed the limit of {mapper.MaxReadingsPerPayload} per payload");
        }

        return columns.Rejections.Count > 0 && columns.Rejections[0] is var refused
            ? (refused.Reason, $"reading {refused.Index}: {refused.Problem}")
            : null;
    }

    /// <summary>Writes a decoded message with its batch sequence, if any, and answers the publish by the outcome.</summary>
    private async ValueTask<PublishVerdict> CommitAsync(DeviceRecord device, MqttPublish message, int points, Func<UplinkBatch?, Task<WriteOutcome>> write, CancellationToken cancellationToken)
    {
        UplinkBatch? batch = null;
        if (message.BatchSequence is { } sequence)
        {
            if (sequence == 0)
            {
                return Reject(device.Id, message.Topic, RejectReason.MalformedPayload, MqttPubAckReasonCode.PayloadFormatInvalid, $"user property '{UplinkProperties.BatchSequence}' must be a whole number of 1 or more");
            }

            batch = new UplinkBatch(device.Id, sequence);
        }

        // Over its rate, the device's PUBACK is held (its in-flight window then slows it); further
        // over, the message is refused with QuotaExceeded, which a device resends later.
        var rate = await rateLimiter.AdmitAsync(device.Id, points, cancellationToken);
        if (!rate.Admitted)
        {
            return Reject(device.Id, message.Topic, RejectReason.RateLimited, MqttPubAckReasonCode.QuotaExceeded, rateLimiter.Describe(points, rate));
        }

        WriteOutcome outcome;
        var started = time.GetTimestamp();
        try
        {
            outcome = await write(batch);
            metrics.AckLatency(Listener).Observe(time.GetElapsedTime(started));
        }
        catch (WriteRefusedException ex)
        {
            // A field's type against its series, or the device's series limit: a resend cannot help, so
            // not QuotaExceeded, which devices (our edge agent among them) take as "resend later".
            return Reject(device.Id, message.Topic, RefusalReason.Of(ex), MqttPubAckReasonCode.PayloadFormatInvalid, RefusalReason.Describe(ex));
        }
        catch (StorageException ex)
        {
            // Not acknowledged as stored: close the connection so an MQTT 3.1.1 client, which cannot
            // read a PUBACK reason code, resends the message after reconnecting.
            var refused = Reject(device.Id, message.Topic, RejectReason.StoreFailure, MqttPubAckReasonCode.ImplementationSpecificError, "the store could not commit the readings; retry later");
            LogStoreFailed(logger, device.Id, ex);
            return refused with { CloseConnection = true };
        }

        registry.MarkMessage(device.Id, time.GetUtcNow());
        if (outcome == WriteOutcome.Duplicate)
        {
            // Already committed: acknowledge again so the device drops it, but relay it to nobody twice.
            metrics.Duplicate(points);
            return PublishVerdict.Kept;
        }

        metrics.Accepted(Listener, points);
        return PublishVerdict.Stored;
    }

    /// <summary>The batch sequence user property: its value, 0 when malformed, or <c>null</c> when absent.</summary>
    private static ulong? BatchSequence(MqttApplicationMessage message)
    {
        if (message.UserProperties is null)
        {
            return null;
        }

        foreach (var property in message.UserProperties)
        {
            if (string.Equals(property.Name, UplinkProperties.BatchSequence, StringComparison.Ordinal))
            {
                return MqttPublish.ParseBatchSequence(property.ValueBuffer.Span);
            }
        }

        return null;
    }

    private PublishVerdict StoreImage(DeviceRecord device, MqttPublish message)
    {
        var contentType = LatestImages.SniffContentType(message.Payload);
        if (contentType is null)
        {
            return Reject(device.Id, message.Topic, RejectReason.MalformedPayload, MqttPubAckReasonCode.PayloadFormatInvalid, "an image must be a JPEG or PNG file");
        }

        images.Put(device.Id, message.Payload.ToArray(), contentType, time.GetUtcNow());
        registry.MarkMessage(device.Id, time.GetUtcNow());
        // Stills are kept by the hub, not relayed: subscribers fetch them over HTTP.
        return PublishVerdict.Kept;
    }

    /// <summary>A connection's own <see cref="LineColumns"/>, held by one publish at a time.</summary>
    internal sealed class ConnectionColumns(LineColumns columns)
    {
        private LineColumns? _free = columns;

        /// <summary>The instance, or <c>null</c> while another publish holds it.</summary>
        public LineColumns? Take() => Interlocked.Exchange(ref _free, null);

        /// <summary>Gives the instance back after a publish's write.</summary>
        public void PutBack(LineColumns columns) => Volatile.Write(ref _free, columns);
    }

    private PublishVerdict Reject(string who, string topic, RejectReason reason, MqttPubAckReasonCode code, string detail)
    {
        metrics.Rejected(reason);
        LogPublishRejected(logger, who, topic, reason, detail);
        return new PublishVerdict(code, detail.Length > 512 ? detail[..512] : detail, Relay: false, CloseConnection: false);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "MQTT CONNECT refused: client '{ClientId}', user '{UserName}' from {Remote}: unknown device or wrong token")]
    private static partial void LogConnectRefused(ILogger logger, string clientId, string userName, string remote);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Publish from {Device} to '{Topic}' rejected ({Reason}): {Detail}")]
    private static partial void LogPublishRejected(ILogger logger, string device, string topic, RejectReason reason, string detail);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Subscription of {Device} to '{Filter}' refused: not its own downlink topic")]
    private static partial void LogSubscribeRefused(ILogger logger, string device, string filter);

    [LoggerMessage(EventId = 203, Level = LogLevel.Error, Message = "Readings of {Device} not stored; connection closed so the device resends")]
    private static partial void LogStoreFailed(ILogger logger, string device, Exception exception);
}
