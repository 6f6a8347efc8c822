using System.Buffers;
using System.IO.Compression;
using System.Text;
using IotHub.Storage;
using IotHub.Telemetry.LineProtocol;
using Microsoft.AspNetCore.Http;

namespace IotHub.Ingest;

/// <summary>
/// InfluxDB-compatible writes: <c>POST /api/v2/write?org=&amp;bucket=&amp;precision=</c> and
/// <c>POST /write?db=&amp;precision=</c>, line protocol bodies, plain or gzip. Good lines are
/// written and a 400 names each bad line (InfluxDB's partial write); 204 when all were written.
/// The admin token writes any measurement (bound to no device kind); a device's token writes
/// only its own kind's measurement and fields, tagged with its id.
/// </summary>
public sealed class InfluxWriteHandler(
    DeviceRegistry registry,
    LineProtocolIngest ingest,
    IngestOptions options,
    IngestMetrics metrics,
    DeviceRateLimiter rateLimiter,
    AdminCredentials admin) : IDisposable
{
    private const string Listener = "http";
    private const int MaxErrorsReported = 100;

    // How long a write may wait for room in the store's queue before the client is told to retry.
    private static readonly TimeSpan QueueWait = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentHttpWrites, options.MaxConcurrentHttpWrites);

    /// <summary>Handles one write request.</summary>
    public async Task<IResult> HandleAsync(HttpContext context, bool versionOne)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var presented = PresentedToken(request, versionOne);
        DeviceRecord? device = null;
        if (!admin.Matches(presented) && !registry.TryAuthenticateToken(presented, out device))
        {
            metrics.Rejected(RejectReason.BadCredentials);
            return Error(401, "unauthorized", presented is null
                ? "send a token: 'Authorization: Token <token>' (the admin token or a device's token)"
                : "the token is neither the admin token nor a device's token");
        }

        var precisionText = request.Query["precision"].ToString();
        if (!LineProtocolPrecisionExtensions.TryParse(precisionText, out var precision))
        {
            return Error(400, "invalid", $"precision '{precisionText}' is not one of ns, us, ms, s");
        }

        if (request.ContentLength > options.MaxHttpBodyBytes)
        {
            metrics.Rejected(RejectReason.PayloadTooLarge);
            return Error(413, "request too large", $"the body of {request.ContentLength} bytes exceeds the limit of {options.MaxHttpBodyBytes} bytes");
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return Error(415, "unsupported media type", $"Content-Encoding '{encoding}' is not supported; send gzip or identity");
        }

        // At most Ingest:MaxConcurrentHttpWrites bodies are read and held at once: the rest wait for
        // a slot up to the queue wait, then are answered 503 before their bodies are read.
        if (!await _slots.WaitAsync(options.HttpSlotWait, context.RequestAborted))
        {
            context.Response.Headers.RetryAfter = "1";
            return Error(503, "unavailable", $"{options.MaxConcurrentHttpWrites} writes are in progress, the most the hub holds at once; nothing of this request was read; retry after a second");
        }

        metrics.HttpWriteSlot(+1);
        try
        {
            return await ReadAndWriteAsync(context, device, precision, encoding);
        }
        finally
        {
            metrics.HttpWriteSlot(-1);
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private async Task<IResult> ReadAndWriteAsync(HttpContext context, DeviceRecord? device, LineProtocolPrecision precision, string encoding)
    {
        var request = context.Request;
        byte[] body;
        int length;
        try
        {
            (body, length) = await ReadBodyAsync(request.Body, encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase), context.RequestAborted);
        }
        catch (InvalidDataException ex)
        {
            metrics.Rejected(RejectReason.MalformedPayload);
            return Error(400, "invalid", "the gzip body cannot be decompressed: " + ex.Message);
        }
        catch (BodyTooLargeException)
        {
            metrics.Rejected(RejectReason.PayloadTooLarge);
            return Error(413, "request too large", $"the body exceeds the limit of {options.MaxHttpBodyBytes} bytes (after decompression)");
        }

        try
        {
            if (device is not null)
            {
                var points = DeviceRateLimiter.CountLines(body.AsSpan(0, length));
                var rate = await rateLimiter.AdmitAsync(device.Id, points, context.RequestAborted);
                if (!rate.Admitted)
                {
                    metrics.Rejected(RejectReason.RateLimited);
                    context.Response.Headers.RetryAfter = DeviceRateLimiter.RetryAfterSeconds(rate).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return Error(429, "too many requests", rateLimiter.Describe(points, rate));
                }
            }

            LineProtocolWriteResult result;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            wait.CancelAfter(QueueWait);
            try
            {
                result = await ingest.WriteAsync(new ReadOnlySequence<byte>(body, 0, length), precision, device, batch: null, Listener, wait.Token);
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                context.Response.Headers.RetryAfter = "1";
                return Error(503, "unavailable", "the store is busy; nothing of this request was written; retry after a second");
            }
            catch (WriteRefusedException ex)
            {
                // As InfluxDB answers a field type conflict or a series limit: bad input, not to be retried as it is.
                return Error(400, "invalid", RefusalReason.Describe(ex));
            }
            catch (StorageException)
            {
                context.Response.Headers.RetryAfter = "1";
                return Error(503, "unavailable", "the store could not commit the write; nothing of this request was written; retry");
            }

            if (result.Errors.Count == 0)
            {
                return Results.NoContent();
            }

            var errors = result.Errors;
            var total = result.Written + errors.Count;
            var shown = errors.Count > MaxErrorsReported ? errors.Take(MaxErrorsReported).ToList() : errors;
            var message = new StringBuilder()
                .Append(result.Written > 0 ? "partial write: " : "no points written: ")
                .Append(errors.Count).Append(" of ").Append(total).Append(" lines rejected: ")
                .AppendJoin("; ", shown)
                .Append(errors.Count > shown.Count ? $"; and {errors.Count - shown.Count} more" : "")
                .ToString();
            return Results.Json(new { code = "invalid", message, written = result.Written, rejected = errors.Count, errors = shown }, statusCode: 400);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private async Task<(byte[] Buffer, int Length)> ReadBodyAsync(Stream body, bool gzip, CancellationToken cancellationToken)
    {
        // Reads at most MaxHttpBodyBytes (after decompression) into a pooled buffer: a gzip bomb or a
        // lying Content-Length stops at the limit.
        await using var source = gzip ? new GZipStream(body, CompressionMode.Decompress, leaveOpen: true) : body;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= options.MaxHttpBodyBytes + 1)
                    {
                        throw new BodyTooLargeException();
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, options.MaxHttpBodyBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > options.MaxHttpBodyBytes)
                {
                    throw new BodyTooLargeException();
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static string? PresentedToken(HttpRequest request, bool versionOne)
    {
        var header = request.Headers.Authorization.ToString();
        if (AuthorizationHeader.TokenOf(header) is { } token)
        {
            return token;
        }

        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            // InfluxDB 1.x clients: user:password, the password being the token.
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                return colon >= 0 ? decoded[(colon + 1)..] : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return versionOne && request.Query.TryGetValue("p", out var password) ? password.ToString() : null;
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { code, message }, statusCode: status);

    private sealed class BodyTooLargeException : Exception;
}
