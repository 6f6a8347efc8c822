using System.Buffers;
using IotHub.Storage;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace IotHub.Ingest;

/// <summary>
/// Line protocol over plain TCP (Telegraf's socket_writer, <c>nc</c>), on Kestrel's pipelines.
/// The protocol has no answers, so a bad line is logged and counted and the next line read.
/// Points are written in batches, and the socket is not read while a batch is being committed:
/// a store that falls behind slows the sender through TCP flow control, and memory stays bounded
/// by the batch size and the pipe's buffer limit. There is no authentication on this protocol:
/// the listener binds to loopback like the rest of the hub, and its writes are bound to no device.
/// </summary>
public sealed partial class LineProtocolConnectionHandler(
    DuckDbStore store,
    TelemetryMapper mapper,
    IngestOptions options,
    IngestMetrics metrics,
    TimeProvider time,
    ILogger<LineProtocolConnectionHandler> logger) : ConnectionHandler
{
    private const string Listener = "tcp";

    /// <summary>Points collected before they are written (and the socket is read again).</summary>
    public const int BatchSize = 5_000;

    /// <inheritdoc />
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var input = connection.Transport.Input;
        using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, Now(), new LineProtocolReaderOptions { MaxLineLength = options.MaxLineBytes });
        var columns = LineColumns.Rent(mapper);
        var remote = connection.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            columns.Start(device: null);
            while (true)
            {
                // No cancellation token: ConnectionClosed fires on the peer's FIN, before the data
                // that came with it is read. The read completes with IsCompleted instead.
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                reader.SetDefaultTime(Now());
                var (consumed, drained) = ReadBatch(reader, buffer, result.IsCompleted, columns, remote);

                // Nothing of the buffer is kept past this point: the columns hold their own copies.
                input.AdvanceTo(consumed, buffer.End);
                if (columns.PointsRead > 0)
                {
                    await WriteAsync(columns, remote);
                    columns.Start(device: null);
                }

                if (result.IsCompleted && drained)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The peer went away.
        }
        catch (ConnectionResetException)
        {
            // The peer went away without closing.
        }
        finally
        {
            LineColumns.Return(columns);
            await input.CompleteAsync();
        }
    }

    /// <summary>Parses whole lines of the buffer into the columns, up to one batch; returns where it stopped.</summary>
    private (SequencePosition Consumed, bool Drained) ReadBatch(LineProtocolReader reader, ReadOnlySequence<byte> buffer, bool isFinal, LineColumns columns, string remote)
    {
        var sequence = new SequenceReader<byte>(buffer);
        var sink = columns.AsSink();
        while (columns.PointsRead < BatchSize)
        {
            switch (reader.ReadNext(ref sequence, isFinal, ref sink, out var error))
            {
                case LineProtocolReadStatus.Point:
                    break;
                case LineProtocolReadStatus.InvalidLine:
                    metrics.Rejected(RejectReason.MalformedPayload);
                    LogBadLine(logger, remote, error.ToString());
                    break;
                default:
                    return (sequence.Position, sequence.End);
            }
        }

        return (sequence.Position, sequence.End);
    }

    private async Task WriteAsync(LineColumns columns, string remote)
    {
        foreach (var rejection in columns.Rejections)
        {
            metrics.Rejected(rejection.Reason);
            LogBadLine(logger, remote, $"point {rejection.Index} ({rejection.Measurement}): {rejection.Problem}");
        }

        try
        {
            // Waits for the commit: while it waits the socket is not read (backpressure).
            var started = time.GetTimestamp();
            await store.WriteColumnsAsync(columns.ToColumns(), CancellationToken.None);
            metrics.AckLatency(Listener).Observe(time.GetElapsedTime(started));
            metrics.Accepted(Listener, columns.PointsAccepted);
        }
        catch (WriteRefusedException ex)
        {
            metrics.Rejected(RefusalReason.Of(ex));
            LogBadLine(logger, remote, $"{columns.PointsAccepted} points not stored: {RefusalReason.Describe(ex)}");
        }
        catch (StorageException ex)
        {
            metrics.Rejected(RejectReason.StoreFailure);
            LogStoreFailed(logger, remote, columns.PointsAccepted, ex);
        }
    }

    private long Now() => TimeUnits.FromDateTimeOffset(time.GetUtcNow());

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "TCP line protocol from {Remote}: {Problem}")]
    private static partial void LogBadLine(ILogger logger, string remote, string problem);

    [LoggerMessage(EventId = 221, Level = LogLevel.Error, Message = "TCP line protocol from {Remote}: {Points} points not stored")]
    private static partial void LogStoreFailed(ILogger logger, string remote, int points, Exception exception);
}
