using System.Buffers;
using IotHub.Storage;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;
using Microsoft.Extensions.Logging;
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

    /// <summary>Subscribes to the broker's events.</summary>
    public void Attach(MqttServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.ClientConnectedAsync += OnConnectedAsync;
        server.ClientDisconnectedAsync += OnDisconnectedAsync;
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var password = e.RawPassword is null || e.RawPassword.Length == 0 ? null : e.Password;
        if (string.Equals(e.UserName, AdminCredentials.MqttUserName, StringComparison.Ordinal) && admin.Matches(password))
        {
            e.SessionItems[MqttSessionKeys.Admin] = true;
            AssignClientIdIfEmpty(e, "admin");
            return Task.CompletedTask;
        }

        // client id = device id with password = token; user name = device id with password = token;
        // or ThingsBoard style, user name = token and no password.
        if (registry.TryAuthenticate(e.ClientId, password, out var device)
            || registry.TryAuthenticate(e.UserName, password, out device)
            || (password is null && registry.TryAuthenticateToken(e.UserName, out device)))
        {
            e.SessionItems[MqttSessionKeys.Device] = device.Id;
            e.SessionItems[MqttSessionKeys.Columns] = new ConnectionColumns(LineColumns.ForConnection(mapper));
            AssignClientIdIfEmpty(e, device.Id);
            return Task.CompletedTask;
        }

        metrics.Rejected(RejectReason.BadCredentials);
        LogConnectRefused(logger, e.ClientId, e.UserName ?? "", e.RemoteEndPoint?.ToString() ?? "?");
        e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
        e.ReasonString = "unknown device or wrong token";
        return Task.CompletedTask;
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
            registry.SetConnected(device, connected: true);
            registry.MarkMessage(device, time.GetUtcNow());
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
            registry.SetConnected(device, connected: false);
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
        if (e.SessionItems[MqttSessionKeys.Device] is not string deviceId || !registry.TryGet(deviceId, out var device))
        {
            Reject(e, e.ClientId, RejectReason.TopicNotAuthorized, MqttPubAckReasonCode.NotAuthorized, "the session has no device");
            return;
        }

        var topic = DeviceTopic.Parse(message.Topic);
        if (topic.Kind == TopicKind.Unknown)
        {
            Reject(e, deviceId, RejectReason.UnknownTopic, MqttPubAckReasonCode.TopicNameInvalid,
                $"topic '{message.Topic}' is not in the scheme iothub/v1/{{deviceId}}/telemetry|image|state|rpc/response/{{id}}");
            return;
        }

        // ThingsBoard topics name no device: they are the connected device's own.
        if (topic.DeviceId is not null && !string.Equals(topic.DeviceId, deviceId, StringComparison.Ordinal))
        {
            Reject(e, deviceId, RejectReason.TopicNotAuthorized, MqttPubAckReasonCode.NotAuthorized,
                $"device '{deviceId}' may not publish to device '{topic.DeviceId}'s topic '{message.Topic}'");
            return;
        }

        if (topic.Kind is TopicKind.Config or TopicKind.RpcRequest)
        {
            Reject(e, deviceId, RejectReason.TopicNotAuthorized, MqttPubAckReasonCode.NotAuthorized,
                $"'{message.Topic}' is written by the hub, not by devices");
            return;
        }

        var payload = message.Payload;
        var limit = topic.Kind == TopicKind.Image ? options.MaxImageBytes : options.MaxPayloadBytes;
        if (payload.Length > limit)
        {
            Reject(e, deviceId, RejectReason.PayloadTooLarge, MqttPubAckReasonCode.PayloadFormatInvalid,
                $"payload of {payload.Length} bytes exceeds the limit of {limit} bytes for {topic.Kind.ToString().ToLowerInvariant()}");
            return;
        }

        switch (topic.Kind)
        {
            case TopicKind.Telemetry:
                await IngestTelemetryAsync(e, device, payload);
                break;
            case TopicKind.Image:
                StoreImage(e, device, payload);
                break;
            default:
                // State and RPC responses are relayed to subscribers (the hub's services) as they are.
                registry.MarkMessage(deviceId, time.GetUtcNow());
                break;
        }

        // MQTTnet matches every relayed message against the subscriptions of every session, so with
        // 10,000 devices connected each message costs 10,000 matches (measured: most of the hub's CPU
        // with 10,000 edge agents at 1,000 messages/s). Devices may subscribe only to their own config
        // and RPC topics, so only admin sessions can receive a device's messages: with none connected
        // there is nobody to relay to. Retained messages are still processed, so they are kept for
        // whoever subscribes later; the PUBACK is sent either way.
        if (!message.Retain && Volatile.Read(ref _adminSessions) == 0)
        {
            e.ProcessPublish = false;
        }
    }

    private async Task IngestTelemetryAsync(InterceptingPublishEventArgs e, DeviceRecord device, ReadOnlySequence<byte> payload)
    {
        if (PayloadFormats.Detect(e.ApplicationMessage.ContentType, payload) == PayloadFormat.LineProtocol)
        {
            // Straight into columns: no object per point. MQTTnet hands a connection's publishes over
            // one at a time, so its own instance (series kept from the device's last message) is
            // free, unless a taken-over connection's last publish still holds it.
            var own = e.SessionItems[MqttSessionKeys.Columns] as ConnectionColumns;
            var columns = own?.Take();
            var owned = columns is not null;
            columns ??= LineColumns.Rent(mapper);
            try
            {
                columns.Start(device);
                if (ReadWhole(payload, columns) is { } refusal)
                {
                    Reject(e, device.Id, refusal.Reason, MqttPubAckReasonCode.PayloadFormatInvalid, refusal.Message);
                    return;
                }

                await CommitAsync(e, device, columns.PointsAccepted, batch => store.WriteColumnsAsync(columns.ToColumns(), batch, e.CancellationToken));
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

            return;
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
            Reject(e, device.Id, RejectReason.MalformedPayload, MqttPubAckReasonCode.PayloadFormatInvalid, ex.Message);
            return;
        }
        catch (IngestRejectedException ex)
        {
            Reject(e, device.Id, ex.Reason, MqttPubAckReasonCode.PayloadFormatInvalid, ex.Message);
            return;
        }

        await CommitAsync(e, device, points.Count, batch => store.WriteAsync(points, batch, e.CancellationToken));
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
    private async Task CommitAsync(InterceptingPublishEventArgs e, DeviceRecord device, int points, Func<UplinkBatch?, Task<WriteOutcome>> write)
    {
        UplinkBatch? batch = null;
        if (BatchSequence(e.ApplicationMessage) is { } sequence)
        {
            if (sequence == 0)
            {
                Reject(e, device.Id, RejectReason.MalformedPayload, MqttPubAckReasonCode.PayloadFormatInvalid, $"user property '{UplinkProperties.BatchSequence}' must be a whole number of 1 or more");
                return;
            }

            batch = new UplinkBatch(device.Id, sequence);
        }

        // Over its rate, the device's PUBACK is held (its in-flight window then slows it); further
        // over, the message is refused with QuotaExceeded, which a device resends later.
        var rate = await rateLimiter.AdmitAsync(device.Id, points, e.CancellationToken);
        if (!rate.Admitted)
        {
            Reject(e, device.Id, RejectReason.RateLimited, MqttPubAckReasonCode.QuotaExceeded, rateLimiter.Describe(points, rate));
            return;
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
            Reject(e, device.Id, RefusalReason.Of(ex), MqttPubAckReasonCode.PayloadFormatInvalid, RefusalReason.Describe(ex));
            return;
        }
        catch (StorageException ex)
        {
            // Not acknowledged as stored: close the connection so an MQTT 3.1.1 client, which cannot
            // read a PUBACK reason code, resends the message after reconnecting.
            Reject(e, device.Id, RejectReason.StoreFailure, MqttPubAckReasonCode.ImplementationSpecificError, "the store could not commit the readings; retry later");
            LogStoreFailed(logger, device.Id, ex);
            e.CloseConnection = true;
            return;
        }

        registry.MarkMessage(device.Id, time.GetUtcNow());
        if (outcome == WriteOutcome.Duplicate)
        {
            // Already committed: acknowledge again so the device drops it, but relay it to nobody twice.
            metrics.Duplicate(points);
            e.ProcessPublish = false;
            return;
        }

        metrics.Accepted(Listener, points);
    }

    /// <summary>The batch sequence user property: its value, 0 when malformed, or <c>null</c> when absent.</summary>
    private static ulong? BatchSequence(MQTTnet.MqttApplicationMessage message)
    {
        if (message.UserProperties is null)
        {
            return null;
        }

        foreach (var property in message.UserProperties)
        {
            if (string.Equals(property.Name, UplinkProperties.BatchSequence, StringComparison.Ordinal))
            {
                var text = property.ValueBuffer.Span;
                return System.Buffers.Text.Utf8Parser.TryParse(text, out ulong sequence, out var consumed) && consumed == text.Length ? sequence : 0;
            }
        }

        return null;
    }

    private void StoreImage(InterceptingPublishEventArgs e, DeviceRecord device, ReadOnlySequence<byte> payload)
    {
        var contentType = LatestImages.SniffContentType(payload);
        if (contentType is null)
        {
            Reject(e, device.Id, RejectReason.MalformedPayload, MqttPubAckReasonCode.PayloadFormatInvalid, "an image must be a JPEG or PNG file");
            return;
        }

        images.Put(device.Id, payload.ToArray(), contentType, time.GetUtcNow());
        registry.MarkMessage(device.Id, time.GetUtcNow());
        // Stills are kept by the hub, not relayed: subscribers fetch them over HTTP.
        e.ProcessPublish = false;
    }

    /// <summary>A connection's own <see cref="LineColumns"/>, held by one publish at a time.</summary>
    private sealed class ConnectionColumns(LineColumns columns)
    {
        private LineColumns? _free = columns;

        /// <summary>The instance, or <c>null</c> while another publish holds it.</summary>
        public LineColumns? Take() => Interlocked.Exchange(ref _free, null);

        /// <summary>Gives the instance back after a publish's write.</summary>
        public void PutBack(LineColumns columns) => Volatile.Write(ref _free, columns);
    }

    private void Reject(InterceptingPublishEventArgs e, string who, RejectReason reason, MqttPubAckReasonCode code, string detail)
    {
        metrics.Rejected(reason);
        LogPublishRejected(logger, who, e.ApplicationMessage.Topic, reason, detail);
        e.ProcessPublish = false;
        e.Response.ReasonCode = code;
        e.Response.ReasonString = detail.Length > 512 ? detail[..512] : detail;
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
