using Google.Protobuf;
using Grpc.Core;
using IotHub.Telemetry.Grpc;

namespace IotHub.Edge;

/// <summary>
/// A device's gRPC stream (<c>iothub.v1.TelemetryIngest/Write</c>) on the agent's shared channel,
/// authenticated with the device's token: the hub binds the stream's batches to the device, so
/// their sequences make resends exactly-once. One batch in flight: the hub reads the next batch
/// of a stream only after it acknowledged the previous one.
/// </summary>
internal sealed class GrpcUplinkSession(EdgeDeviceOptions device, TelemetryIngest.TelemetryIngestClient client, EdgeAgentOptions options) : IUplinkSession
{
    private readonly Metadata _headers = new() { { "authorization", "Token " + device.Token } };
    private AsyncDuplexStreamingCall<WriteBatch, BatchAck>? _call;

    public bool Connected => _call is not null;

    public bool CarriesState => false;

    public Task ConnectAsync(bool followConfig, CancellationToken cancellationToken)
    {
        // The HTTP/2 stream opens with the first batch; a refused token or an unreachable hub shows there.
        _call = client.Write(_headers, cancellationToken: CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task<UplinkResult> SendAsync(OutgoingBatch batch, QueuePayloadFormat format, CancellationToken cancellationToken)
    {
        var call = _call ?? throw new InvalidOperationException("the stream is not open");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        BatchAck ack;
        try
        {
            await call.RequestStream.WriteAsync(new WriteBatch { Sequence = batch.Sequence, LineProtocol = ByteString.CopyFrom(batch.Payload), Precision = "ns" }, timeout.Token);
            if (!await call.ResponseStream.MoveNext(timeout.Token))
            {
                throw new IOException("the hub closed the stream without acknowledging the batch");
            }

            ack = call.ResponseStream.Current;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
        {
            throw new UplinkRefusedException($"{ex.StatusCode}: {ex.Status.Detail}");
        }

        if (ack.Sequence != batch.Sequence)
        {
            throw new IOException($"the hub acknowledged batch {ack.Sequence} while batch {batch.Sequence} was in flight");
        }

        var reason = string.Join("; ", ack.Errors);
        return ack.Status switch
        {
            BatchAck.Types.Status.Committed or BatchAck.Types.Status.Duplicate => new UplinkResult(UplinkOutcome.Stored, 0, ""),

            // Every line is one reading: what was not written was refused (and is not sent again).
            BatchAck.Types.Status.Partial => new UplinkResult(UplinkOutcome.Stored, Math.Max(0, batch.Count - (int)ack.PointsWritten), reason),
            _ => new UplinkResult(UplinkOutcome.RetryLater, 0, $"{ack.Status}: {reason}"),
        };
    }

    public Task PublishStateAsync(byte[] state, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task DisconnectAsync()
    {
        if (_call is not { } call)
        {
            return;
        }

        _call = null;
        try
        {
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or OperationCanceledException)
        {
            // Already gone.
        }

        call.Dispose();
    }

    public void Dispose() => _call?.Dispose();
}
