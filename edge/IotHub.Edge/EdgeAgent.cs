using Microsoft.Extensions.Logging;

namespace IotHub.Edge;

/// <summary>An agent process's devices, run together until cancelled.</summary>
public sealed class EdgeAgent : IAsyncDisposable
{
    private readonly List<EdgeDevice> _devices = [];

    /// <summary>Creates an agent for the given devices.</summary>
    public EdgeAgent(EdgeAgentOptions options, IEnumerable<EdgeDeviceOptions> devices, TimeProvider time, ILogger logger, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(devices);
        options.Validate();
        var index = 0;
        foreach (var device in devices)
        {
            _devices.Add(new EdgeDevice(device, options, time, logger, seed + index++));
        }
    }

    /// <summary>Each device's counters.</summary>
    public IReadOnlyList<EdgeDeviceStatus> Status() => [.. _devices.Select(d => d.Status)];

    /// <summary>Samples and sends until cancelled; then disconnects cleanly.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var runs = _devices.Select(d => d.RunAsync(cancellationToken)).ToArray();
        try
        {
            await Task.WhenAll(runs);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal way out.
        }

        await Task.WhenAll(_devices.Select(d => d.DisconnectAsync()));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        foreach (var device in _devices)
        {
            device.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
