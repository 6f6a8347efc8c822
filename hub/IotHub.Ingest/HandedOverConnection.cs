using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace IotHub.Ingest;

/// <summary>
/// A connection the direct MQTT engine served up to a SUBSCRIBE, as MQTTnet is to see it from
/// there: its input starts with the session's CONNECT again (then the socket's bytes, the SUBSCRIBE
/// first), and the CONNACK MQTTnet answers it with is dropped (the client has had one).
/// </summary>
internal sealed class HandedOverConnection(ConnectionContext inner, byte[] connect) : ConnectionContext
{
    private IDuplexPipe _transport = new DuplexPipe(new ReplayReader(connect, inner.Transport.Input), new SkipFirstPacketWriter(inner.Transport.Output));

    /// <inheritdoc />
    public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }

    /// <inheritdoc />
    public override IFeatureCollection Features => inner.Features;

    /// <inheritdoc />
    public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }

    /// <inheritdoc />
    public override IDuplexPipe Transport { get => _transport; set => _transport = value; }

    /// <inheritdoc />
    public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }

    /// <inheritdoc />
    public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }

    /// <inheritdoc />
    public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }

    /// <inheritdoc />
    public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => base.DisposeAsync();

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Reads the CONNECT first (a whole packet, consumed whole by a packet reader), then the socket.</summary>
    private sealed class ReplayReader(byte[] prefix, PipeReader inner) : PipeReader
    {
        private ReadOnlySequence<byte>? _prefix = new(prefix);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            _prefix is { } p ? ValueTask.FromResult(new ReadResult(p, isCanceled: false, isCompleted: false)) : inner.ReadAsync(cancellationToken);

        public override bool TryRead(out ReadResult result)
        {
            if (_prefix is { } p)
            {
                result = new ReadResult(p, isCanceled: false, isCompleted: false);
                return true;
            }

            return inner.TryRead(out result);
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            if (_prefix is not { } p)
            {
                inner.AdvanceTo(consumed, examined);
                return;
            }

            var rest = p.Slice(consumed);
            if (rest.Length > 0 && p.Slice(examined).Length == 0)
            {
                // The reader wants more than the CONNECT: it is a whole packet, so this is not MQTTnet reading it.
                throw new InvalidOperationException("the replayed CONNECT was examined to its end without being consumed");
            }

            _prefix = rest.Length == 0 ? null : rest;
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }

    /// <summary>Drops the first whole packet written (the CONNACK), then writes through.</summary>
    private sealed class SkipFirstPacketWriter(PipeWriter inner) : PipeWriter
    {
        private ArrayBufferWriter<byte>? _held = new(64);

        public override void Advance(int bytes)
        {
            if (_held is null)
            {
                inner.Advance(bytes);
                return;
            }

            _held.Advance(bytes);
            var written = new ReadOnlySequence<byte>(_held.WrittenMemory);
            if (MqttPackets.TryReadFixedHeader(written, out _, out var remaining, out var headerLength, out _) && written.Length >= headerLength + remaining)
            {
                var after = _held.WrittenSpan[(headerLength + remaining)..];
                _held = null;
                inner.Write(after);
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _held?.GetMemory(sizeHint) ?? inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _held is null ? inner.GetSpan(sizeHint) : _held.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
