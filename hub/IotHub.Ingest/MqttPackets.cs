using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace IotHub.Ingest;

/// <summary>
/// The few MQTT 3.1.1 and 5 packets the direct engine reads and writes (OASIS MQTT 3.1.1 §2-3,
/// MQTT 5.0 §2-3). Reading never throws on bad input: it returns false with a reason.
/// </summary>
internal static class MqttPackets
{
    /// <summary>The Receive Maximum an MQTT 5 CONNACK announces: QoS 1 and 2 publishes a client may have unacknowledged at once.</summary>
    public const ushort ReceiveMaximum = 64;

    /// <summary>CONNECT.</summary>
    public const int Connect = 1;

    /// <summary>PUBLISH.</summary>
    public const int Publish = 3;

    /// <summary>PUBREL (QoS 2, second half).</summary>
    public const int PubRel = 6;

    /// <summary>SUBSCRIBE.</summary>
    public const int Subscribe = 8;

    /// <summary>UNSUBSCRIBE.</summary>
    public const int Unsubscribe = 10;

    /// <summary>PINGREQ.</summary>
    public const int PingReq = 12;

    /// <summary>DISCONNECT.</summary>
    public const int Disconnect = 14;

    /// <summary>MQTT 5 property: content type (UTF-8 string).</summary>
    private const byte ContentTypeProperty = 0x03;

    /// <summary>MQTT 5 property: topic alias (two bytes).</summary>
    private const byte TopicAliasProperty = 0x23;

    /// <summary>MQTT 5 property: user property (string pair).</summary>
    private const byte UserProperty = 0x26;

    private static readonly byte[] BatchSequenceName = Encoding.UTF8.GetBytes(Telemetry.UplinkProperties.BatchSequence);

    /// <summary>
    /// Reads a fixed header: packet type and flags, remaining length. False when more bytes are needed
    /// (<paramref name="malformed"/> false) or the length is not a valid variable byte integer.
    /// </summary>
    public static bool TryReadFixedHeader(in ReadOnlySequence<byte> buffer, out byte first, out int remaining, out int headerLength, out bool malformed)
    {
        remaining = 0;
        headerLength = 0;
        malformed = false;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out first) || !TryReadVariableInt(ref reader, out remaining, out malformed))
        {
            return false;
        }

        headerLength = (int)reader.Consumed;
        return true;
    }

    /// <summary>Reads an MQTT UTF-8 string (two-byte length, then the bytes).</summary>
    public static bool TryReadString(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> value)
    {
        value = default;
        if (!reader.TryReadBigEndian(out short length) || reader.Remaining < (ushort)length)
        {
            return false;
        }

        value = reader.UnreadSequence.Slice(0, (ushort)length);
        reader.Advance((ushort)length);
        return true;
    }

    /// <summary>Reads a variable byte integer (MQTT 5 property lengths).</summary>
    public static bool TryReadVariableInt(ref SequenceReader<byte> reader, out int value) => TryReadVariableInt(ref reader, out value, out _);

    // False when the bytes end first (malformed false) or a fifth byte would follow the fourth (malformed true).
    private static bool TryReadVariableInt(ref SequenceReader<byte> reader, out int value, out bool malformed)
    {
        value = 0;
        malformed = false;
        var multiplier = 1;
        for (var i = 0; i < 4; i++)
        {
            if (!reader.TryRead(out var b))
            {
                return false;
            }

            value += (b & 0x7F) * multiplier;
            if ((b & 0x80) == 0)
            {
                return true;
            }

            multiplier *= 128;
        }

        malformed = true;
        return false;
    }

    /// <summary>The fields of a CONNECT the direct engine uses.</summary>
    public sealed class ConnectPacket
    {
        /// <summary>Protocol level: 3 (3.1), 4 (3.1.1) or 5.</summary>
        public int Level { get; set; }

        /// <summary>Clean session (3.1.1) / clean start (5).</summary>
        public bool CleanSession { get; set; }

        /// <summary>Whether the CONNECT carries a will message.</summary>
        public bool HasWill { get; set; }

        /// <summary>Keep-alive in seconds (0: none).</summary>
        public int KeepAliveSeconds { get; set; }

        /// <summary>MQTT 5 session expiry interval (0: the session ends with the connection).</summary>
        public uint SessionExpiry { get; set; }

        /// <summary>MQTT 5: an authentication method (enhanced authentication) was given.</summary>
        public bool HasAuthenticationMethod { get; set; }

        /// <summary>MQTT 5: whether the client wants reason strings (request problem information, default 1).</summary>
        public bool WantsReasonStrings { get; set; } = true;

        /// <summary>MQTT 5: the largest packet the client accepts (0: no limit given).</summary>
        public uint ClientMaximumPacketSize { get; set; }

        /// <summary>The client identifier (may be empty).</summary>
        public string ClientId { get; set; } = "";

        /// <summary>The user name, if any.</summary>
        public string? UserName { get; set; }

        /// <summary>The password as UTF-8 text, if any and not empty.</summary>
        public string? Password { get; set; }
    }

    /// <summary>
    /// Reads a CONNECT's variable header and payload. Returns null on success, else why the packet
    /// is malformed. A protocol name other than MQTT / MQIsdp is malformed; the level is not checked here.
    /// </summary>
    public static string? TryReadConnect(ReadOnlySequence<byte> body, out ConnectPacket connect)
    {
        connect = new ConnectPacket();
        var reader = new SequenceReader<byte>(body);
        if (!TryReadString(ref reader, out var name) || !reader.TryRead(out var level) || !reader.TryRead(out var flags)
            || !reader.TryReadBigEndian(out short keepAlive))
        {
            return "CONNECT is truncated in its variable header";
        }

        var protocol = Encoding.UTF8.GetString(name);
        if (protocol is not ("MQTT" or "MQIsdp"))
        {
            return $"CONNECT names protocol '{protocol}', not MQTT";
        }

        if ((flags & 0x01) != 0)
        {
            return "CONNECT's reserved flag is set";
        }

        connect.Level = level;
        connect.CleanSession = (flags & 0x02) != 0;
        connect.HasWill = (flags & 0x04) != 0;
        connect.KeepAliveSeconds = (ushort)keepAlive;
        if (level == 5)
        {
            if (!TryReadVariableInt(ref reader, out var propertiesLength) || reader.Remaining < propertiesLength)
            {
                return "CONNECT's properties are truncated";
            }

            var properties = new SequenceReader<byte>(reader.UnreadSequence.Slice(0, propertiesLength));
            reader.Advance(propertiesLength);
            if (ReadConnectProperties(ref properties, connect) is { } problem)
            {
                return problem;
            }
        }

        if (!TryReadString(ref reader, out var clientId))
        {
            return "CONNECT's client identifier is truncated";
        }

        connect.ClientId = Encoding.UTF8.GetString(clientId);
        if (connect.HasWill)
        {
            // Not read further: a session with a will goes to MQTTnet.
            return null;
        }

        if ((flags & 0x80) != 0)
        {
            if (!TryReadString(ref reader, out var user))
            {
                return "CONNECT's user name is truncated";
            }

            connect.UserName = Encoding.UTF8.GetString(user);
        }

        if ((flags & 0x40) != 0)
        {
            if (!TryReadString(ref reader, out var password))
            {
                return "CONNECT's password is truncated";
            }

            connect.Password = password.Length == 0 ? null : Encoding.UTF8.GetString(password);
        }

        return reader.Remaining == 0 ? null : $"CONNECT has {reader.Remaining} bytes after its payload";
    }

    private static string? ReadConnectProperties(ref SequenceReader<byte> properties, ConnectPacket connect)
    {
        while (!properties.End)
        {
            if (!properties.TryRead(out var id))
            {
                return "CONNECT's properties are truncated";
            }

            var ok = id switch
            {
                0x11 => ReadUInt32(ref properties, out var expiry) && Set(() => connect.SessionExpiry = expiry),
                0x17 => properties.TryRead(out var problem) && Set(() => connect.WantsReasonStrings = problem != 0),
                0x27 => ReadUInt32(ref properties, out var max) && Set(() => connect.ClientMaximumPacketSize = max),
                0x15 => TryReadString(ref properties, out _) && Set(() => connect.HasAuthenticationMethod = true),
                0x16 => TryReadString(ref properties, out _),
                0x19 => properties.TryRead(out _),
                0x21 or 0x22 => properties.TryReadBigEndian(out short _),
                UserProperty => TryReadString(ref properties, out _) && TryReadString(ref properties, out _),
                _ => false,
            };
            if (!ok)
            {
                return $"CONNECT has an unknown or truncated property 0x{id:X2}";
            }
        }

        return null;
    }

    private static bool ReadUInt32(ref SequenceReader<byte> reader, out uint value)
    {
        var ok = reader.TryReadBigEndian(out int raw);
        value = unchecked((uint)raw);
        return ok;
    }

    private static bool Set(Action assign)
    {
        assign();
        return true;
    }

    /// <summary>The fields of a PUBLISH, the payload still in the read buffer.</summary>
    public struct PublishPacket
    {
        /// <summary>Topic name bytes.</summary>
        public ReadOnlySequence<byte> Topic;

        /// <summary>Packet identifier (QoS 1 and 2).</summary>
        public ushort PacketId;

        /// <summary>MQTT 5 content type bytes, if present.</summary>
        public ReadOnlySequence<byte>? ContentType;

        /// <summary>The batch sequence user property: value, 0 when malformed, null when absent.</summary>
        public ulong? BatchSequence;

        /// <summary>The payload.</summary>
        public ReadOnlySequence<byte> Payload;
    }

    /// <summary>Reads a PUBLISH's body. Returns null on success, else what is wrong with the packet.</summary>
    public static MqttProblem? TryReadPublish(ReadOnlySequence<byte> body, int qos, bool v5, out PublishPacket publish)
    {
        publish = default;
        var reader = new SequenceReader<byte>(body);
        if (!TryReadString(ref reader, out publish.Topic))
        {
            return MqttProblem.Malformed("PUBLISH's topic name is truncated");
        }

        if (qos > 0)
        {
            if (!reader.TryReadBigEndian(out short id) || id == 0)
            {
                return MqttProblem.Malformed("PUBLISH has no valid packet identifier");
            }

            publish.PacketId = (ushort)id;
        }

        if (v5)
        {
            if (!TryReadVariableInt(ref reader, out var propertiesLength) || reader.Remaining < propertiesLength)
            {
                return MqttProblem.Malformed("PUBLISH's properties are truncated");
            }

            var properties = new SequenceReader<byte>(reader.UnreadSequence.Slice(0, propertiesLength));
            reader.Advance(propertiesLength);
            if (ReadPublishProperties(ref properties, ref publish) is { } problem)
            {
                return problem;
            }
        }

        if (publish.Topic.Length == 0)
        {
            // MQTT 5 §3.3.2.1: a zero-length topic name without a topic alias is a protocol error.
            return new MqttProblem(MqttDisconnect.ProtocolError, "PUBLISH has an empty topic name (topic aliases are not accepted: the hub's CONNACK allows none)");
        }

        publish.Payload = reader.UnreadSequence;
        return null;
    }

    private static MqttProblem? ReadPublishProperties(ref SequenceReader<byte> properties, ref PublishPacket publish)
    {
        while (!properties.End)
        {
            properties.TryRead(out var id);
            bool ok;
            switch (id)
            {
                case 0x01:
                    ok = properties.TryRead(out _);
                    break;
                case 0x02:
                    ok = properties.TryReadBigEndian(out int _);
                    break;
                case ContentTypeProperty:
                    ok = TryReadString(ref properties, out var contentType);
                    publish.ContentType = contentType;
                    break;
                case 0x08 or 0x09:
                    ok = TryReadString(ref properties, out _);
                    break;
                case TopicAliasProperty:
                    // MQTT 5 §3.3.2.3.4: an alias above the CONNACK's Topic Alias Maximum (0) is Topic Alias invalid.
                    return new MqttProblem(MqttDisconnect.TopicAliasInvalid, "PUBLISH uses a topic alias; the hub's CONNACK allows none");
                case UserProperty:
                    var value = default(ReadOnlySequence<byte>);
                    ok = TryReadString(ref properties, out var key) && TryReadString(ref properties, out value);
                    if (ok && publish.BatchSequence is null && key.Length == BatchSequenceName.Length && SequenceEquals(key, BatchSequenceName))
                    {
                        publish.BatchSequence = value.IsSingleSegment ? MqttPublish.ParseBatchSequence(value.FirstSpan) : MqttPublish.ParseBatchSequence(value.ToArray());
                    }

                    break;
                default:
                    return MqttProblem.Malformed($"PUBLISH has an unknown property 0x{id:X2}");
            }

            if (!ok)
            {
                return MqttProblem.Malformed($"PUBLISH's property 0x{id:X2} is truncated");
            }
        }

        return null;
    }

    /// <summary>Whether the bytes equal <paramref name="expected"/>.</summary>
    public static bool SequenceEquals(in ReadOnlySequence<byte> bytes, ReadOnlySpan<byte> expected)
    {
        if (bytes.IsSingleSegment)
        {
            return bytes.FirstSpan.SequenceEqual(expected);
        }

        return bytes.Length == expected.Length && bytes.ToArray().AsSpan().SequenceEqual(expected);
    }

    /// <summary>The body (after the fixed header) of a whole packet.</summary>
    public static ReadOnlySequence<byte> BodyOf(byte[] packet)
    {
        TryReadFixedHeader(new ReadOnlySequence<byte>(packet), out _, out var remaining, out var headerLength, out _);
        return new ReadOnlySequence<byte>(packet, headerLength, remaining);
    }

    /// <summary>A copy of a (well-formed) CONNECT packet with another client identifier.</summary>
    public static byte[] ConnectWithClientId(byte[] connect, string clientId)
    {
        var body = BodyOf(connect);
        var reader = new SequenceReader<byte>(body);
        TryReadString(ref reader, out _);
        reader.TryRead(out var level);
        reader.Advance(3);
        if (level == 5)
        {
            TryReadVariableInt(ref reader, out var propertiesLength);
            reader.Advance(propertiesLength);
        }

        var before = body.Slice(0, reader.Consumed).ToArray();
        TryReadString(ref reader, out _);
        var after = reader.UnreadSequence.ToArray();
        var id = Encoding.UTF8.GetBytes(clientId);
        var newBody = new ArrayBufferWriter<byte>(before.Length + 2 + id.Length + after.Length);
        newBody.Write(before);
        BinaryPrimitives.WriteUInt16BigEndian(newBody.GetSpan(2), (ushort)id.Length);
        newBody.Advance(2);
        newBody.Write(id);
        newBody.Write(after);
        var packet = new ArrayBufferWriter<byte>(newBody.WrittenCount + 5);
        WritePacket(packet, connect[0], newBody.WrittenSpan, null);
        return packet.WrittenSpan.ToArray();
    }

    /// <summary>Writes a CONNACK: session present 0, the reason (return) code, MQTT 5 properties.</summary>
    public static void WriteConnAck(IBufferWriter<byte> output, bool v5, byte code, string? assignedClientId, int maximumPacketSize, string? reasonString)
    {
        if (!v5)
        {
            var span = output.GetSpan(4);
            span[0] = 0x20;
            span[1] = 2;
            span[2] = 0;
            span[3] = code;
            output.Advance(4);
            return;
        }

        var properties = new ArrayBufferWriter<byte>(64);
        // Maximum packet size (0x27), topic alias maximum 0 (0x22, the default: omitted),
        // no shared subscriptions are offered to devices either way.
        WriteByte(properties, 0x27);
        BinaryPrimitives.WriteInt32BigEndian(properties.GetSpan(4), maximumPacketSize);
        properties.Advance(4);
        // Receive Maximum (0x21): QoS 1 and 2 publishes the client may have unacknowledged at once.
        WriteByte(properties, 0x21);
        BinaryPrimitives.WriteUInt16BigEndian(properties.GetSpan(2), ReceiveMaximum);
        properties.Advance(2);
        if (assignedClientId is not null)
        {
            WriteByte(properties, 0x12);
            WriteString(properties, assignedClientId);
        }

        if (reasonString is not null)
        {
            WriteByte(properties, 0x1F);
            WriteString(properties, reasonString);
        }

        WritePacket(output, 0x20, [0, code], properties.WrittenSpan);
    }

    /// <summary>Writes a PUBACK (QoS 1) or PUBREC (QoS 2) with the MQTT 5 reason code and string.</summary>
    public static void WriteAck(IBufferWriter<byte> output, byte type, ushort packetId, bool v5, byte code, string? reasonString, int clientMaximumPacketSize)
    {
        if (!v5 || (code == 0 && reasonString is null))
        {
            var span = output.GetSpan(4);
            span[0] = type;
            span[1] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
            output.Advance(4);
            return;
        }

        Span<byte> head = [0, 0, code];
        BinaryPrimitives.WriteUInt16BigEndian(head, packetId);
        var properties = new ArrayBufferWriter<byte>(16 + (reasonString?.Length ?? 0) * 3);
        if (reasonString is not null)
        {
            WriteByte(properties, 0x1F);
            WriteString(properties, reasonString);
        }

        // MQTT 5 §3.4.2.2.2: a reason string that would exceed the client's maximum packet size is left out.
        if (clientMaximumPacketSize > 0 && 2 + 5 + head.Length + properties.WrittenCount > clientMaximumPacketSize)
        {
            properties.ResetWrittenCount();
        }

        WritePacket(output, type, head, properties.WrittenSpan);
    }

    /// <summary>Writes a two-byte packet: PINGRESP, PUBCOMP's fixed part and the like.</summary>
    public static void WriteShort(IBufferWriter<byte> output, byte type, ushort? packetId)
    {
        var span = output.GetSpan(4);
        span[0] = type;
        if (packetId is { } id)
        {
            span[1] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], id);
            output.Advance(4);
        }
        else
        {
            span[1] = 0;
            output.Advance(2);
        }
    }

    /// <summary>Writes an MQTT 5 DISCONNECT with a reason code and string.</summary>
    public static void WriteDisconnect(IBufferWriter<byte> output, byte code, string reasonString)
    {
        var properties = new ArrayBufferWriter<byte>(16 + reasonString.Length * 3);
        WriteByte(properties, 0x1F);
        WriteString(properties, reasonString.Length > 256 ? reasonString[..256] : reasonString);
        WritePacket(output, 0xE0, [code], properties.WrittenSpan);
    }

    // head, then (unless properties is null: a packet without properties) the properties' length and the properties.
    private static void WritePacket(IBufferWriter<byte> output, byte type, ReadOnlySpan<byte> head, byte[]? properties) =>
        WritePacket(output, type, head, properties ?? [], withProperties: properties is not null);

    private static void WritePacket(IBufferWriter<byte> output, byte type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> properties, bool withProperties = true)
    {
        Span<byte> propertiesLength = stackalloc byte[4];
        var propertiesLengthBytes = withProperties ? WriteVariableInt(propertiesLength, properties.Length) : 0;
        var remaining = head.Length + propertiesLengthBytes + properties.Length;
        Span<byte> remainingBytes = stackalloc byte[4];
        var remainingLength = WriteVariableInt(remainingBytes, remaining);
        var span = output.GetSpan(1 + remainingLength + remaining);
        span[0] = type;
        remainingBytes[..remainingLength].CopyTo(span[1..]);
        var at = 1 + remainingLength;
        head.CopyTo(span[at..]);
        at += head.Length;
        propertiesLength[..propertiesLengthBytes].CopyTo(span[at..]);
        at += propertiesLengthBytes;
        properties.CopyTo(span[at..]);
        output.Advance(at + properties.Length);
    }

    private static int WriteVariableInt(Span<byte> target, int value)
    {
        var i = 0;
        do
        {
            var b = (byte)(value % 128);
            value /= 128;
            target[i++] = value > 0 ? (byte)(b | 0x80) : b;
        }
        while (value > 0);
        return i;
    }

    private static void WriteByte(ArrayBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        var length = Math.Min(bytes, ushort.MaxValue);
        var span = output.GetSpan(2 + bytes);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)length);
        Encoding.UTF8.GetBytes(value, span[2..]);
        output.Advance(2 + length);
    }
}

/// <summary>MQTT 5 DISCONNECT reason codes the direct engine sends (MQTT 5 §3.14.2.1).</summary>
internal enum MqttDisconnect : byte
{
    /// <summary>0x83: the server could not go on for its own reason (the store failed).</summary>
    ImplementationSpecificError = 0x83,

    /// <summary>0x81: the packet could not be parsed.</summary>
    MalformedPacket = 0x81,

    /// <summary>0x82: a packet that is well-formed but not allowed here.</summary>
    ProtocolError = 0x82,

    /// <summary>0x90: a topic name that is not valid UTF-8 or contains wildcards.</summary>
    TopicNameInvalid = 0x90,

    /// <summary>0x93: more QoS 2 publishes unreleased than the CONNACK's Receive Maximum.</summary>
    ReceiveMaximumExceeded = 0x93,

    /// <summary>0x94: a topic alias the CONNACK did not allow.</summary>
    TopicAliasInvalid = 0x94,

    /// <summary>0x95: a packet above the size limit.</summary>
    PacketTooLarge = 0x95,
}

/// <summary>Why the direct engine closes a connection: the MQTT 5 DISCONNECT reason code and the logged reason.</summary>
/// <param name="Code">The DISCONNECT reason code (MQTT 5 clients only).</param>
/// <param name="Reason">The reason, logged and sent as the DISCONNECT's reason string.</param>
internal readonly record struct MqttProblem(MqttDisconnect Code, string Reason)
{
    /// <summary>A malformed packet (0x81).</summary>
    public static MqttProblem Malformed(string reason) => new(MqttDisconnect.MalformedPacket, reason);
}
