using System.Buffers;
using Grpc.Core;
using IotHub.Storage;
using IotHub.Telemetry.LineProtocol;
using IotHub.Telemetry.Grpc;
using Microsoft.Extensions.Logging;

namespace IotHub.Ingest;

/// <summary>
/// gRPC streaming ingest: each <see cref="WriteBatch"/> is parsed, checked and committed, then
/// answered with one <see cref="BatchAck"/>, in order. The next batch is read only after the
/// previous one is acknowledged, so a slow store slows the stream (HTTP/2 flow control) and
/// memory stays bounded by one batch per stream.
/// </summary>
public sealed partial class GrpcIngestService(
    DeviceRegistry registry,
    LineProtocolIngest ingest,
    IngestOptions options,
    IngestMetrics metrics,
    DeviceRateLimiter rateLimiter,
    AdminCredentials admin,
    ILogger<GrpcIngestService> logger) : TelemetryIngest.TelemetryIngestBase
{
    private const string Listener = "grpc";
    private const int MaxErrorsPerAck = 100;

    // How long a batch may wait for room in the store's queue before it is answered UNAVAILABLE.
    private static readonly TimeSpan QueueWait = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public override async Task Write(IAsyncStreamReader<WriteBatch> requestStream, IServerStreamWriter<BatchAck> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var device = Authenticate(context);
        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(await WriteBatchAsync(batch, device, context.CancellationToken), context.CancellationToken);
        }
    }

    private DeviceRecord? Authenticate(ServerCallContext context)
    {
        var token = AuthorizationHeader.TokenOf(context.RequestHeaders.GetValue("authorization"));
        if (admin.Matches(token))
        {
            return null;
        }

        if (registry.TryAuthenticateToken(token, out var device))
        {
            return device;
        }

        metrics.Rejected(RejectReason.BadCredentials);
        throw new RpcException(new Status(StatusCode.Unauthenticated, token is null
            ? "send metadata 'authorization: Token <token>' (a device's token or the admin token)"
            : "the token is neither the admin token nor a device's token"));
    }

    private async Task<BatchAck> WriteBatchAsync(WriteBatch batch, DeviceRecord? device, CancellationToken cancellationToken)
    {
        var ack = new BatchAck { Sequence = batch.Sequence };
        if (batch.LineProtocol.Length > options.MaxHttpBodyBytes)
        {
            metrics.Rejected(RejectReason.PayloadTooLarge);
            ack.Status = BatchAck.Types.Status.Partial;
            ack.Errors.Add($"the batch of {batch.LineProtocol.Length} bytes exceeds the limit of {options.MaxHttpBodyBytes} bytes");
            return ack;
        }

        if (!LineProtocolPrecisionExtensions.TryParse(batch.Precision, out var precision))
        {
            ack.Status = BatchAck.Types.Status.Partial;
            ack.Errors.Add($"precision '{batch.Precision}' is not one of ns, us, ms, s");
            return ack;
        }

        if (device is not null)
        {
            // Over its rate the device's ack is held, which slows its stream; further over, the batch
            // is answered UNAVAILABLE and the device resends it later.
            var points = DeviceRateLimiter.CountLines(batch.LineProtocol.Span);
            var rate = await rateLimiter.AdmitAsync(device.Id, points, cancellationToken);
            if (!rate.Admitted)
            {
                metrics.Rejected(RejectReason.RateLimited);
                ack.Status = BatchAck.Types.Status.Unavailable;
                ack.Errors.Add(rateLimiter.Describe(points, rate));
                return ack;
            }
        }

        UplinkBatch? uplink = device is not null && batch.Sequence > 0 ? new UplinkBatch(device.Id, batch.Sequence) : null;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(QueueWait);
        LineProtocolWriteResult result;
        try
        {
            result = await ingest.WriteAsync(new ReadOnlySequence<byte>(batch.LineProtocol.Memory), precision, device, uplink, Listener, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ack.Status = BatchAck.Types.Status.Unavailable;
            ack.Errors.Add("the store is busy; nothing of this batch was written; resend it");
            return ack;
        }
        catch (WriteRefusedException ex)
        {
            // Nothing written and a resend cannot succeed: every point of the batch is refused.
            ack.Status = BatchAck.Types.Status.Partial;
            ack.Errors.Add(RefusalReason.Describe(ex));
            return ack;
        }
        catch (StorageException ex)
        {
            LogUnavailable(logger, device?.Id ?? "admin", ex.Message);
            ack.Status = BatchAck.Types.Status.Unavailable;
            ack.Errors.Add("the store could not commit the batch; nothing of it was written; resend it");
            return ack;
        }

        ack.PointsWritten = (uint)result.Written;
        ack.Status = result.Outcome == WriteOutcome.Duplicate ? BatchAck.Types.Status.Duplicate
            : result.Errors.Count > 0 ? BatchAck.Types.Status.Partial
            : BatchAck.Types.Status.Committed;
        foreach (var error in result.Errors.Take(MaxErrorsPerAck))
        {
            ack.Errors.Add(error);
        }

        return ack;
    }

    [LoggerMessage(EventId = 240, Level = LogLevel.Warning, Message = "gRPC batch of {Writer} answered UNAVAILABLE: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string writer, string reason);
}
