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
        var collector = new PointCollector();
        var remote = connection.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            while (true)
            {
                // No cancellation token: ConnectionClosed fires on the peer's FIN, before the data
                // that came with it is read. The read completes with IsCompleted instead.
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                reader.SetDefaultTime(Now());
                var (consumed, drained) = ReadBatch(reader, buffer, result.IsCompleted, collector, remote);

                // Nothing of the buffer is kept past this point: the collector holds its own copies.
                input.AdvanceTo(consumed, buffer.End);
                if (collector.Points.Count > 0)
                {
                    await WriteAsync(collector.Points, remote);
                    collector.Points.Clear();
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
            await input.CompleteAsync();
        }
    }

    /// <summary>Parses whole lines of the buffer into the collector, up to one batch; returns where it stopped.</summary>
    private (SequencePosition Consumed, bool Drained) ReadBatch(LineProtocolReader reader, ReadOnlySequence<byte> buffer, bool isFinal, PointCollector collector, string remote)
    {
        var sequence = new SequenceReader<byte>(buffer);
        while (collector.Points.Count < BatchSize)
        {
            switch (reader.ReadNext(ref sequence, isFinal, ref collector, out var error))
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

    private async Task WriteAsync(List<Point> points, string remote)
    {
        var accepted = new List<Point>(points.Count);
        foreach (var point in points)
        {
            try
            {
                mapper.CheckUnbound([point]);
                accepted.Add(point);
            }
            catch (IngestRejectedException ex)
            {
                metrics.Rejected(ex.Reason);
                LogBadLine(logger, remote, ex.Message);
            }
        }

        try
        {
            // Waits for the commit: while it waits the socket is not read (backpressure).
            var started = time.GetTimestamp();
            await store.WriteAsync(accepted, CancellationToken.None);
            metrics.AckLatency(Listener).Observe(time.GetElapsedTime(started));
            metrics.Accepted(Listener, accepted.Count);
        }
        catch (StorageException ex)
        {
            metrics.Rejected(RejectReason.StoreFailure);
            LogStoreFailed(logger, remote, accepted.Count, ex);
        }
    }

    private long Now() => TimeUnits.FromDateTimeOffset(time.GetUtcNow());

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "TCP line protocol from {Remote}: {Problem}")]
    private static partial void LogBadLine(ILogger logger, string remote, string problem);

    [LoggerMessage(EventId = 221, Level = LogLevel.Error, Message = "TCP line protocol from {Remote}: {Points} points not stored")]
    private static partial void LogStoreFailed(ILogger logger, string remote, int points, Exception exception);
}
