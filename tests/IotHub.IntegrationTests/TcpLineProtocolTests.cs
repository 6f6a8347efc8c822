using System.Net.Sockets;
using System.Text;

namespace IotHub.IntegrationTests;

/// <summary>Line protocol over plain TCP, as Telegraf's socket_writer sends it.</summary>
public sealed class TcpLineProtocolTests
{
    [Fact]
    public async Task Tcp_LinesSplitAcrossWritesAndABadLine_GoodLinesStoredBadOneCounted()
    {
        await using var hub = await HubProcess.StartAsync("serve");
        using var api = hub.CreateApiClient();
        var ns = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var text = new StringBuilder();
        for (var i = 0; i < 1_000; i++)
        {
            text.Append("mem,host=h").Append(i % 3).Append(" used=").Append(i).Append("i,free=1.5 ").Append(ns + i).Append('\n');
            if (i == 500)
            {
                text.Append("mem,host=h1 used=\n");
            }
        }

        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", hub.TcpPort);
            var stream = client.GetStream();
            var bytes = Encoding.UTF8.GetBytes(text.ToString());

            // Odd-sized writes split lines across reads on the hub's side.
            for (var offset = 0; offset < bytes.Length; offset += 777)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(777, bytes.Length - offset)));
            }
        }

        await Poll.UntilAsync(async () => (await api.GetJsonAsync("/api/v1/stats")).GetProperty("pointsByListener").TryGetProperty("tcp", out var n) && n.GetInt64() == 1_000, TimeSpan.FromSeconds(20));
        var answer = await api.GetJsonAsync("/api/v1/query?measurement=mem&field=used&from=now-1h&to=now%2B1m&step=1h&agg=count");
        Assert.Equal(1_000, answer.GetProperty("series").EnumerateArray().Sum(s => s.GetProperty("points")[0][1].GetDouble()));
        Assert.Equal(1, await api.RejectionsAsync("MalformedPayload"));
        Assert.Contains("TCP line protocol from", hub.Output, StringComparison.Ordinal);
    }
}
