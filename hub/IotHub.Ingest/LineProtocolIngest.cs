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
        var columns = LineColumns.Rent(mapper);
        try
        {
            columns.Start(device);
            var errors = Read(body, precision, columns);
            foreach (var rejection in columns.Rejections)
            {
                metrics.Rejected(rejection.Reason);
            }

            if (columns.Rejections.Count > 0)
            {
                errors = Merge(errors, columns.Rejections);
            }

            var accepted = columns.PointsAccepted;
            var outcome = WriteOutcome.Committed;
            if (accepted > 0 || batch is not null)
            {
                var started = time.GetTimestamp();
                try
                {
                    outcome = await store.WriteColumnsAsync(columns.ToColumns(), batch, enqueueCancellation);
                    metrics.AckLatency(listener).Observe(time.GetElapsedTime(started));
                }
                catch (WriteRefusedException ex)
                {
                    metrics.Rejected(RefusalReason.Of(ex));
                    throw;
                }
                catch (StorageException ex)
                {
                    metrics.Rejected(RejectReason.StoreFailure);
                    LogStoreFailed(logger, listener, device?.Id ?? "admin", ex);
                    throw;
                }

                if (outcome == WriteOutcome.Duplicate)
                {
                    metrics.Duplicate(accepted);
                }
                else
                {
                    metrics.Accepted(listener, accepted);
                }

                if (device is not null)
                {
                    registry.MarkMessage(device.Id, time.GetUtcNow());
                }
            }

            if (errors.Count > 0)
            {
                LogRejectedLines(logger, listener, device?.Id ?? "admin", errors.Count, accepted + errors.Count, errors[0]);
            }

            return new LineProtocolWriteResult(outcome == WriteOutcome.Duplicate ? 0 : accepted, errors, outcome);
        }
        finally
        {
            // Only now: the store read the column buffers while committing.
            LineColumns.Return(columns);
        }
    }

    /// <summary>Reads every line into the columns; returns the malformed lines' errors (counted).</summary>
    private List<string> Read(ReadOnlySequence<byte> body, LineProtocolPrecision precision, LineColumns columns)
    {
        var errors = new List<string>();
        using var reader = new LineProtocolReader(precision, TimeUnits.FromDateTimeOffset(time.GetUtcNow()), _lineOptions);
        var sink = columns.AsSink();
        if (body.IsSingleSegment)
        {
            var span = body.FirstSpan;
            while (true)
            {
                var status = reader.ReadNextInSpan(span, isFinalBlock: true, ref sink, out var consumed, out var error);
                span = span[consumed..];
                if (status == LineProtocolReadStatus.InvalidLine)
                {
                    metrics.Rejected(RejectReason.MalformedPayload);
                    errors.Add(error.ToString());
                }
                else if (status != LineProtocolReadStatus.Point)
                {
                    return errors;
                }
            }
        }

        var input = new SequenceReader<byte>(body);
        while (true)
        {
            var status = reader.ReadNext(ref input, isFinalBlock: true, ref sink, out var error);
            if (status == LineProtocolReadStatus.InvalidLine)
            {
                metrics.Rejected(RejectReason.MalformedPayload);
                errors.Add(error.ToString());
            }
            else if (status != LineProtocolReadStatus.Point)
            {
                return errors;
            }
        }
    }

    /// <summary>Malformed lines first, then refused points, as the 400 has always listed them.</summary>
    private static List<string> Merge(List<string> errors, IReadOnlyList<LineColumns.Rejection> rejections)
    {
        foreach (var rejection in rejections)
        {
            errors.Add($"point {rejection.Index} ({rejection.Measurement}): {rejection.Problem}");
        }

        return errors;
    }

    [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "{Listener} write by {Writer}: {Rejected} of {Total} lines rejected; first: {First}")]
    private static partial void LogRejectedLines(ILogger logger, string listener, string writer, int rejected, int total, string first);

    [LoggerMessage(EventId = 231, Level = LogLevel.Error, Message = "{Listener} write by {Writer} not stored")]
    private static partial void LogStoreFailed(ILogger logger, string listener, string writer, Exception exception);
}
