using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using InfluxDB.Client;
using InfluxDB.Client.Api.Domain;
using InfluxDB.Client.Writes;

namespace IotHub.IntegrationTests;

/// <summary>InfluxDB-compatible writes over HTTP, by InfluxDB.Client (a client we did not write) and by hand.</summary>
public sealed class InfluxWriteTests : ServeHubTest
{
    [Fact]
    public async Task InfluxDbClient_WritesPointsWithAdminToken_PointsReadBack()
    {
        var now = DateTime.UtcNow;
        using var client = new InfluxDBClient(Hub.Http.ToString(), Hub.AdminToken);
        var write = client.GetWriteApiAsync();
        var points = Enumerable.Range(0, 10).Select(i => PointData.Measurement("cpu")
            .Tag("host", "server-" + (i % 2))
            .Field("usage_user", 10.5 + i)
            .Field("usage_idle", (long)i)
            .Timestamp(now.AddSeconds(-i), WritePrecision.Ms)).ToList();

        await write.WritePointsAsync(points, "city", "iothub");

        var answer = await Api.GetJsonAsync("/api/v1/query?measurement=cpu&field=usage_user&tag.host=server-0&from=now-1m&to=now%2B1m");
        var series = Assert.Single(answer.GetProperty("series").EnumerateArray());
        Assert.Equal([18.5, 16.5, 14.5, 12.5, 10.5], series.GetProperty("points").EnumerateArray().Select(p => p[1].GetDouble()));
    }

    [Fact]
    public async Task Write_SomeBadLines_GoodOnesWrittenAnd400NamesEachBadLine()
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var body = $"weather,site=a temp=21.5 {ts}\nweather,site=b temp= {ts}\nweather,site=c temp=20.1 {ts}\nweather,site=d temp=1,temp2=NaN {ts}\n";

        using var response = await PostAsync("/api/v2/write?org=o&bucket=b&precision=s", body, Hub.AdminToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(2, problem.RootElement.GetProperty("written").GetInt32());
        var message = problem.RootElement.GetProperty("message").GetString()!;
        Assert.Contains("partial write: 2 of 4 lines rejected", message, StringComparison.Ordinal);
        Assert.Contains("line 2, column", message, StringComparison.Ordinal);
        var answer = await Api.GetJsonAsync("/api/v1/query?measurement=weather&field=temp&from=now-1h&to=now%2B1m");
        Assert.Equal(["a", "c"], answer.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("tags").GetProperty("site").GetString()).Order());
    }

    [Fact]
    public async Task Write_FieldTypeConflict_400NotRetryAfter_FirstTypeKept()
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var first = await PostAsync("/api/v2/write?org=o&bucket=b&precision=s", $"meter,site=a reading=7i {ts - 60}\n", Hub.AdminToken);
        using var conflicting = await PostAsync("/api/v2/write?org=o&bucket=b&precision=s", $"meter,site=a reading=7.5 {ts}\nmeter,site=b reading=3.25 {ts}\n", Hub.AdminToken);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, conflicting.StatusCode);
        Assert.Null(conflicting.Headers.RetryAfter);
        var message = JsonDocument.Parse(await conflicting.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
        Assert.Contains("field type conflict", message, StringComparison.Ordinal);
        Assert.Contains("'reading'", message, StringComparison.Ordinal);
        Assert.Equal(1, await Api.RejectionsAsync("WrongFieldType"));
        var answer = await Api.GetJsonAsync("/api/v1/query?measurement=meter&field=reading&from=now-1h&to=now%2B1m");
        var series = Assert.Single(answer.GetProperty("series").EnumerateArray());
        Assert.Equal([7.0], series.GetProperty("points").EnumerateArray().Select(p => p[1].GetDouble()));
    }

    [Fact]
    public async Task Write_DeviceBeyondItsSeriesLimit_400TooManySeries_NothingOfTheRequestStored()
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var limit = string.Concat(Enumerable.Range(0, 1000).Select(i => $"meter,device=m9,site=s{i} reading=1 {ts}\n"));
        using var atLimit = await PostAsync("/api/v2/write?org=o&bucket=b&precision=s", limit, Hub.AdminToken);
        using var beyond = await PostAsync("/api/v2/write?org=o&bucket=b&precision=s", $"meter,device=m9,site=s0 reading=2 {ts + 1}\nmeter,device=m9,site=s1000 reading=1 {ts}\n", Hub.AdminToken);

        Assert.Equal(HttpStatusCode.NoContent, atLimit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
        Assert.Null(beyond.Headers.RetryAfter);
        var message = JsonDocument.Parse(await beyond.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString()!;
        Assert.Contains("too many series: Device 'm9' has 1000 series", message, StringComparison.Ordinal);
        Assert.Equal(1, await Api.RejectionsAsync("TooManySeries"));
        var answer = await Api.GetJsonAsync("/api/v1/query?measurement=meter&field=reading&tag.site=s0&from=now-1h&to=now%2B1h");
        Assert.Equal([1.0], Assert.Single(answer.GetProperty("series").EnumerateArray()).GetProperty("points").EnumerateArray().Select(p => p[1].GetDouble()));
    }

    [Fact]
    public async Task WriteV1_GzipBodyWithPasswordParameter_Stored()
    {
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes($"disk,host=h1 used=42i {ms}\n"));
        }

        using var anonymous = new HttpClient { BaseAddress = Hub.Http };
        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await anonymous.PostAsync(new Uri($"/write?db=x&precision=ms&u=admin&p={Uri.EscapeDataString(Hub.AdminToken)}", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var answer = await Api.GetJsonAsync("/api/v1/query?measurement=disk&field=used&from=now-1h&to=now%2B1m");
        Assert.Equal(42, answer.GetProperty("series")[0].GetProperty("points")[0][1].GetDouble());
    }

    [Fact]
    public async Task Write_DeviceToken_BoundToItsKindAndTaggedWithItsId()
    {
        var token = await Api.RegisterDeviceAsync("gauge-http-1", "river-gauge");
        var ns = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;

        using var good = await PostAsync("/api/v2/write?bucket=b", $"river,device=someone-else level=2.5 {ns}", token);
        using var wrongMeasurement = await PostAsync("/api/v2/write?bucket=b", $"cpu usage=1 {ns}", token);
        using var wrongField = await PostAsync("/api/v2/write?bucket=b", $"river speed=1 {ns}", token);

        Assert.Equal(HttpStatusCode.NoContent, good.StatusCode);
        Assert.Equal(2.5, (await Api.LatestValueAsync("gauge-http-1", "level"))!.Value.GetDouble());
        Assert.Equal(HttpStatusCode.BadRequest, wrongMeasurement.StatusCode);
        Assert.Contains("measurement 'cpu' is not 'river'", await wrongMeasurement.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, wrongField.StatusCode);
        Assert.Contains("is not defined for kind river-gauge", await wrongField.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterWrites_PrometheusTextWithCountersAndAckLatency()
    {
        var ns = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        using (var write = await PostAsync("/api/v2/write?bucket=b", $"m,t=a v=1 {ns}\nm,t=a v=2 {ns + 1}", Hub.AdminToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
        }

        using var anonymous = new HttpClient { BaseAddress = Hub.Http };
        var text = await anonymous.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Contains("iothub_points_ingested_total{listener=\"http\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE iothub_ack_latency_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("iothub_ack_latency_seconds_count{listener=\"http\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("iothub_rejections_total{reason=\"MalformedPayload\"} 0", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-a-token-of-anyone", HttpStatusCode.Unauthorized)]
    public async Task Write_WithoutValidToken_Unauthorized(string? token, HttpStatusCode expected)
    {
        using var response = await PostAsync("/api/v2/write?bucket=b", "m v=1", token);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Write_UnknownPrecisionOrOversizedOrBadGzip_SpecificErrors()
    {
        using var precision = await PostAsync("/api/v2/write?bucket=b&precision=h", "m v=1", Hub.AdminToken);
        using var anonymous = new HttpClient { BaseAddress = Hub.Http };
        anonymous.DefaultRequestHeaders.Authorization = new("Token", Hub.AdminToken);
        using var notGzip = new ByteArrayContent("m v=1"u8.ToArray());
        notGzip.Headers.ContentEncoding.Add("gzip");
        using var badGzip = await anonymous.PostAsync(new Uri("/api/v2/write?bucket=b", UriKind.Relative), notGzip);
        using var huge = new ByteArrayContent(new byte[33 * 1024 * 1024]);
        using var oversizedRequest = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v2/write?bucket=b", UriKind.Relative)) { Content = huge };
        oversizedRequest.Headers.ExpectContinue = true;
        using var oversized = await anonymous.SendAsync(oversizedRequest);

        Assert.Equal(HttpStatusCode.BadRequest, precision.StatusCode);
        Assert.Contains("precision 'h'", await precision.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badGzip.StatusCode);
        Assert.Contains("gzip", await badGzip.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.False(Hub.HasExited);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? token)
    {
        using var client = new HttpClient { BaseAddress = Hub.Http };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Token", token);
        }

        using var content = new StringContent(body, Encoding.UTF8, "text/plain");
        return await client.PostAsync(new Uri(path, UriKind.Relative), content);
    }
}
