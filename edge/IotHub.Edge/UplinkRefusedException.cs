namespace IotHub.Edge;

/// <summary>The hub answered and refused the device's session (unknown device, wrong token).</summary>
internal sealed class UplinkRefusedException(string message) : Exception(message);
