namespace IotHub.Telemetry;

/// <summary>Names the uplink contract uses beside the payload.</summary>
public static class UplinkProperties
{
    /// <summary>
    /// MQTT 5 user property (and gRPC batch field) carrying the batch sequence number, a decimal
    /// unsigned integer that grows with every batch a device sends. The hub commits a batch once:
    /// a resend of a committed sequence is acknowledged without being written again.
    /// </summary>
    public const string BatchSequence = "batch-seq";
}
