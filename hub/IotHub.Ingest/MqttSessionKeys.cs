namespace IotHub.Ingest;

/// <summary>Keys of what ingest keeps in an MQTT session's items.</summary>
internal static class MqttSessionKeys
{
    /// <summary>The authenticated device id (string).</summary>
    public const string Device = "iothub.device";

    /// <summary>Present (true) for a hub service client authenticated with the admin token.</summary>
    public const string Admin = "iothub.admin";

    /// <summary>A device connection's own line protocol columns (series kept from message to message).</summary>
    public const string Columns = "iothub.columns";
}
