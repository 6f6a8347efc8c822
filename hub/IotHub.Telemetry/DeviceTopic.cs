namespace IotHub.Telemetry;

/// <summary>
/// A parsed topic of the scheme <c>iothub/v1/{deviceId}/{telemetry|image|config|state|rpc/request/{id}|rpc/response/{id}}</c>,
/// or of ThingsBoard's device API (<c>v1/devices/me/...</c>), where the device is the connected one.
/// </summary>
/// <param name="Kind">What the topic carries.</param>
/// <param name="DeviceId">The device named in the topic; <c>null</c> for ThingsBoard's <c>me</c> topics.</param>
/// <param name="RequestId">The RPC request id, for RPC topics.</param>
public readonly record struct DeviceTopic(TopicKind Kind, string? DeviceId, string? RequestId)
{
    /// <summary>First two levels of the hub's own scheme.</summary>
    public const string Prefix = "iothub/v1/";

    private const string ThingsBoardPrefix = "v1/devices/me/";

    /// <summary>The telemetry topic of a device.</summary>
    public static string TelemetryTopic(string deviceId) => Prefix + deviceId + "/telemetry";

    /// <summary>The image topic of a device.</summary>
    public static string ImageTopic(string deviceId) => Prefix + deviceId + "/image";

    /// <summary>The retained config topic of a device.</summary>
    public static string ConfigTopic(string deviceId) => Prefix + deviceId + "/config";

    /// <summary>The state topic of a device.</summary>
    public static string StateTopic(string deviceId) => Prefix + deviceId + "/state";

    /// <summary>
    /// Whether a device id can stand in a topic: 1-64 characters of ASCII letters, digits,
    /// '-', '_' and '.'; no MQTT separators or wildcards.
    /// </summary>
    public static bool IsValidDeviceId(string? deviceId)
    {
        if (string.IsNullOrEmpty(deviceId) || deviceId.Length > 64)
        {
            return false;
        }

        foreach (var c in deviceId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses a topic name (not a filter); an unknown topic gives <see cref="TopicKind.Unknown"/>.</summary>
    public static DeviceTopic Parse(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var rest = topic.AsSpan(Prefix.Length);
            var slash = rest.IndexOf('/');
            if (slash <= 0)
            {
                return default;
            }

            var deviceId = rest[..slash].ToString();
            var kind = ParseSuffix(rest[(slash + 1)..], out var requestId);
            return kind == TopicKind.Unknown ? default : new DeviceTopic(kind, deviceId, requestId);
        }

        if (topic.StartsWith(ThingsBoardPrefix, StringComparison.Ordinal))
        {
            var suffix = topic.AsSpan(ThingsBoardPrefix.Length);
            if (suffix.SequenceEqual("attributes"))
            {
                return new DeviceTopic(TopicKind.State, null, null);
            }

            var kind = ParseSuffix(suffix, out var requestId);
            return kind is TopicKind.Telemetry or TopicKind.RpcRequest or TopicKind.RpcResponse
                ? new DeviceTopic(kind, null, requestId)
                : default;
        }

        return default;
    }

    private static TopicKind ParseSuffix(ReadOnlySpan<char> suffix, out string? requestId)
    {
        requestId = null;
        if (suffix.SequenceEqual("telemetry"))
        {
            return TopicKind.Telemetry;
        }

        if (suffix.SequenceEqual("image"))
        {
            return TopicKind.Image;
        }

        if (suffix.SequenceEqual("config"))
        {
            return TopicKind.Config;
        }

        if (suffix.SequenceEqual("state"))
        {
            return TopicKind.State;
        }

        const string request = "rpc/request/";
        const string response = "rpc/response/";
        if (suffix.StartsWith(request) && suffix.Length > request.Length && suffix[request.Length..].IndexOf('/') < 0)
        {
            requestId = suffix[request.Length..].ToString();
            return TopicKind.RpcRequest;
        }

        if (suffix.StartsWith(response) && suffix.Length > response.Length && suffix[response.Length..].IndexOf('/') < 0)
        {
            requestId = suffix[response.Length..].ToString();
            return TopicKind.RpcResponse;
        }

        return TopicKind.Unknown;
    }
}
