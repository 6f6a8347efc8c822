using System.Net;
using System.Text;
using System.Text.Json;

namespace IotHub.IntegrationTests;

/// <summary>HTTP writes held at once are bounded (Ingest:MaxConcurrentHttpWrites): one more waits, then gets 503 with Retry-After, unread.</summary>
public sealed class HttpWriteSlotsTests : IAsyncLifetime
{
    private HubProcess _hub = null!;

    public async Task InitializeAsync() =>
        // The slot wait (1 s) stays well inside Kestrel's 5 s grace for a slow request body, which the held write's stalled
        // body would otherwise run into (408).
        _hub = await HubProcess.StartAsync("serve", environment: new Dictionary<string, string> { ["IOTHUB_Ingest__MaxConcurrentHttpWrites"] = "1", ["IOTHUB_Ingest__HttpSlotWait"] = "00:00:01" });

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Write_WhileTheOnlySlotIsHeld_503RetryAfter_ThenTheHeldWriteCompletes()
    {
        using var client = new HttpClient { BaseAddress = _hub.Http, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new("Token", _hub.AdminToken);
        var ns = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var release = new TaskCompletionSource();
        using var slow = new SlowContent($"slots,site=a v=1 {ns}\n", release.Task);
        var held = client.PostAsync(new Uri("/api/v2/write?bucket=b", UriKind.Relative), slow);
        await slow.Started.WaitAsync(TimeSpan.FromSeconds(30));
        using var api = _hub.CreateApiClient();
        await Poll.UntilAsync(async () => (await api.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Contains("iothub_http_writes_in_progress 1", StringComparison.Ordinal), TimeSpan.FromSeconds(20));

        using var second = await client.PostAsync(new Uri("/api/v2/write?bucket=b", UriKind.Relative), new StringContent($"slots,site=b v=2 {ns}\n", Encoding.UTF8, "text/plain"));
        release.SetResult();
        using var first = await held;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), second.Headers.RetryAfter?.Delta);
        var message = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
        Assert.Contains("1 writes are in progress", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
    }

    /// <summary>A body whose first half is sent at once and the rest only when released.</summary>
    private sealed class SlowContent(string text, Task release) : HttpContent
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => _started.Task;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var half = bytes.Length / 2;
            await stream.WriteAsync(bytes.AsMemory(0, half));
            await stream.FlushAsync();
            _started.SetResult();
            await release;
            await stream.WriteAsync(bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = Encoding.UTF8.GetByteCount(text);
            return true;
        }
    }
}
