using System.Buffers;
using IotHub.Storage;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;
using Microsoft.Extensions.Logging;

namespace IotHub.Ingest;

/// <summary>
/// The part of ingest that every line protocol listener shares (HTTP writes, gRPC): parse
/// leniently, check each point (bound to the writing device's kind, or unbound for the admin
/// token), count rejections per reason, and write the good points in one store write.
/// </summary>
public sealed partial class LineProtocolIngest(
    DeviceRegistry registry,
    DuckDbStore store,
    TelemetryMapper mapper,
    IngestOptions options,
    IngestMetrics metrics,
    TimeProvider time,
    ILogger<LineProtocolIngest> logger)
{
    private readonly LineProtocolReaderOptions _lineOptions = new() { MaxLineLength = options.MaxLineBytes };

    /// <summary>
    /// Writes what is good of a body. <paramref name="enqueueCancellation"/> bounds the wait for
    /// room in the store's queue (then <see cref="OperationCanceledException"/>: nothing written).
    /// </summary>
    /// <exception cref="StorageException">The commit failed; nothing of this body was written.</exception>
    public async Task<LineProtocolWriteResult> WriteAsync(
        ReadOnlySequence<byte> body,
        LineProtocolPrecision precision,
        DeviceRecord? device,
        UplinkBatch? batch,
        string listener,
        CancellationToken enqueueCancellation)
    {
        var parsed = LineProtocolParser.ParseLenient(body, precision, TimeUnits.FromDateTimeOffset(time.GetUtcNow()), _lineOptions);
        var errors = new List<string>(parsed.Errors.Count);
        foreach (var error in parsed.Errors)
        {
            metrics.Rejected(RejectReason.MalformedPayload);
            errors.Add(error.ToString());
        }

        var accepted = new List<Point>(parsed.Points.Count);
        for (var i = 0; i < parsed.Points.Count; i++)
        {
            var point = parsed.Points[i];
            try
            {
                if (device is null)
                {
                    mapper.CheckUnbound([point]);
                    accepted.Add(point);
                }
                else
                {
                    accepted.AddRange(mapper.MapPoints(device, [point]));
                }
            }
            catch (IngestRejectedException ex)
            {
                metrics.Rejected(ex.Reason);
                errors.Add($"point {i} ({point.Measurement}): {ex.Message.Replace("reading 0: ", "", StringComparison.Ordinal).Replace("point 0: ", "", StringComparison.Ordinal)}");
            }
        }

        var outcome = WriteOutcome.Committed;
        if (accepted.Count > 0 || batch is not null)
        {
            var started = time.GetTimestamp();
            try
            {
                outcome = await store.WriteAsync(accepted, batch, enqueueCancellation);
                metrics.AckLatency(listener).Observe(time.GetElapsedTime(started));
            }
            catch (StorageException ex)
            {
                metrics.Rejected(RejectReason.StoreFailure);
                LogStoreFailed(logger, listener, device?.Id ?? "admin", ex);
                throw;
            }

            if (outcome == WriteOutcome.Duplicate)
            {
                metrics.Duplicate(accepted.Count);
            }
            else
            {
                metrics.Accepted(listener, accepted.Count);
            }

            if (device is not null)
            {
                registry.MarkMessage(device.Id, time.GetUtcNow());
            }
        }

        if (errors.Count > 0)
        {
            LogRejectedLines(logger, listener, device?.Id ?? "admin", errors.Count, accepted.Count + errors.Count, errors[0]);
        }

        return new LineProtocolWriteResult(outcome == WriteOutcome.Duplicate ? 0 : accepted.Count, errors, outcome);
    }

    [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "{Listener} write by {Writer}: {Rejected} of {Total} lines rejected; first: {First}")]
    private static partial void LogRejectedLines(ILogger logger, string listener, string writer, int rejected, int total, string first);

    [LoggerMessage(EventId = 231, Level = LogLevel.Error, Message = "{Listener} write by {Writer} not stored")]
    private static partial void LogStoreFailed(ILogger logger, string listener, string writer, Exception exception);
}
