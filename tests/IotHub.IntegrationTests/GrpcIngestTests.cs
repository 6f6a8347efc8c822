using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using IotHub.Telemetry.Grpc;

namespace IotHub.IntegrationTests;

/// <summary>gRPC streaming ingest: one ack per batch, in order, after the commit.</summary>
public sealed class GrpcIngestTests : ServeHubTest
{
    [Fact]
    public async Task Write_DeviceBatchesWithSequences_AckedInOrderResendIsDuplicate()
    {
        var token = await Api.RegisterDeviceAsync("gauge-grpc-1", "river-gauge");
        using var channel = GrpcChannel.ForAddress(Hub.Grpc);
        var client = new TelemetryIngest.TelemetryIngestClient(channel);
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var call = client.Write(new Metadata { { "authorization", "Token " + token } });

        var acks = new List<BatchAck>();
        foreach (var (sequence, body) in new (ulong, string)[]
        {
            (1, $"river level=1.1 {ms}\nriver level=1.2 {ms + 1}"),
            (2, $"river level=1.3 {ms + 2}\nriver speed=4 {ms + 3}"),
            (2, $"river level=1.3 {ms + 2}"),
            (3, "river level="),
        })
        {
            await call.RequestStream.WriteAsync(new WriteBatch { Sequence = sequence, LineProtocol = ByteString.CopyFromUtf8(body), Precision = "ms" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            acks.Add(call.ResponseStream.Current);
        }

        await call.RequestStream.CompleteAsync();

        Assert.Equal([1UL, 2UL, 2UL, 3UL], acks.Select(a => a.Sequence));
        Assert.Equal(BatchAck.Types.Status.Committed, acks[0].Status);
        Assert.Equal(2u, acks[0].PointsWritten);
        Assert.Equal(BatchAck.Types.Status.Partial, acks[1].Status);
        Assert.Contains("\"speed\" is not defined for kind river-gauge", Assert.Single(acks[1].Errors), StringComparison.Ordinal);
        Assert.Equal(BatchAck.Types.Status.Duplicate, acks[2].Status);
        Assert.Equal(BatchAck.Types.Status.Partial, acks[3].Status);
        Assert.Contains("line 1, column", Assert.Single(acks[3].Errors), StringComparison.Ordinal);
        var history = await Api.GetJsonAsync("/api/v1/query?measurement=river&field=level&tag.device=gauge-grpc-1&from=now-1h&to=now%2B1m");
        Assert.Equal([1.1, 1.2, 1.3], history.GetProperty("series")[0].GetProperty("points").EnumerateArray().Select(p => p[1].GetDouble()));
    }

    [Fact]
    public async Task Write_WrongToken_Unauthenticated()
    {
        using var channel = GrpcChannel.ForAddress(Hub.Grpc);
        var client = new TelemetryIngest.TelemetryIngestClient(channel);
        using var call = client.Write(new Metadata { { "authorization", "Token nobody-has-this-token" } });

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new WriteBatch { LineProtocol = ByteString.CopyFromUtf8("m v=1") });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }
}
