namespace IotHub.Edge;

/// <summary>Optional part of a sensor driver: link and clock health reported on the state topic.</summary>
public interface ISensorHealth
{
    /// <summary>Received signal strength of the device's radio link in dBm, or <c>null</c> when unknown.</summary>
    double? RssiDbm { get; }

    /// <summary>The device clock minus the reference clock, or <c>null</c> when not measured.</summary>
    TimeSpan? ClockOffset { get; }
}
