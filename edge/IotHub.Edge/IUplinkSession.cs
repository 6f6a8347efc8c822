namespace IotHub.Edge;

/// <summary>
/// One device's connection to the hub over one protocol. Connection failures surface as the
/// protocol's exceptions (see <see cref="UplinkFailures.IsConnectionFailure"/>); a refusal by the
/// hub as an <see cref="UplinkRefusedException"/>.
/// </summary>
internal interface IUplinkSession : IDisposable
{
    /// <summary>Whether the session is up.</summary>
    bool Connected { get; }

    /// <summary>Whether it carries the device's state message and remote configuration.</summary>
    bool CarriesState { get; }

    /// <summary>Opens the session; with <paramref name="followConfig"/>, follows the device's configuration topic.</summary>
    Task ConnectAsync(bool followConfig, CancellationToken cancellationToken);

    /// <summary>Sends a batch and waits for the hub's answer, which comes after its durable commit.</summary>
    Task<UplinkResult> SendAsync(OutgoingBatch batch, QueuePayloadFormat format, CancellationToken cancellationToken);

    /// <summary>Publishes the device's retained state message (sessions that carry state only).</summary>
    Task PublishStateAsync(byte[] state, CancellationToken cancellationToken);

    /// <summary>Closes the session if it is open; never throws.</summary>
    Task DisconnectAsync();
}
