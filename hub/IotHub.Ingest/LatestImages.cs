using System.Buffers;
using System.Collections.Concurrent;

namespace IotHub.Ingest;

/// <summary>
/// The newest camera still of each device, in memory. Bounded: one image per registered device,
/// each at most <see cref="IngestOptions.MaxImageBytes"/>; a new still replaces the old one.
/// </summary>
public sealed class LatestImages
{
    private readonly ConcurrentDictionary<string, Image> _images = new(StringComparer.Ordinal);

    /// <summary>A stored still.</summary>
    /// <param name="Bytes">The file.</param>
    /// <param name="ContentType">image/jpeg or image/png.</param>
    /// <param name="ReceivedAt">When the hub received it.</param>
    public sealed record Image(byte[] Bytes, string ContentType, DateTimeOffset ReceivedAt);

    /// <summary>Keeps a device's newest still.</summary>
    public void Put(string deviceId, byte[] bytes, string contentType, DateTimeOffset receivedAt) =>
        _images[deviceId] = new Image(bytes, contentType, receivedAt);

    /// <summary>A device's newest still, if any.</summary>
    public Image? Get(string deviceId) => _images.GetValueOrDefault(deviceId);

    /// <summary>image/jpeg or image/png from the file's magic bytes, or <c>null</c>.</summary>
    public static string? SniffContentType(ReadOnlySequence<byte> payload)
    {
        Span<byte> head = stackalloc byte[8];
        if (payload.Length < head.Length)
        {
            return null;
        }

        payload.Slice(0, head.Length).CopyTo(head);
        if (head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            return "image/jpeg";
        }

        return head.SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? "image/png" : null;
    }
}
