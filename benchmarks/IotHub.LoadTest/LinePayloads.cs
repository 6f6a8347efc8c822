using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace IotHub.LoadTest;

/// <summary>
/// The load's data: traffic detector readings as line protocol (measurement traffic, fields of the
/// hub's traffic-detector kind), so the same bytes are valid for the hub, VictoriaMetrics and mosquitto.
/// </summary>
internal static class LinePayloads
{
    // Longest line: prefix + " volume=39i,occupancy=0.99,speed=69.5 " + 19 digits + newline.
    private const int MaxLineTail = 64;

    /// <summary>
    /// <c>traffic,lane={device % 4},detector=d{device} volume={(i*7)%40}i,occupancy={(i%100)/100:0.00},speed={20+i%50}.5 {ts}</c>,
    /// one reading a second per device, batches following each other in time. Formatted straight
    /// to bytes: the open-loop overload run builds its requests while it sends them.
    /// </summary>
    public static byte[] Build(int device, int batch, int lines, long startNs)
    {
        var prefix = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"traffic,lane={device % 4},detector=d{device} volume="));
        var buffer = new byte[lines * (prefix.Length + MaxLineTail)];
        var at = 0;
        for (var i = 0; i < lines; i++)
        {
            var ts = startNs + ((((long)batch * lines) + i) * 1_000_000_000L);
            prefix.CopyTo(buffer, at);
            at += prefix.Length;
            at += Format((i * 7) % 40, buffer, at);
            at += Put("i,occupancy=0."u8, buffer, at);
            var hundredths = i % 100;
            buffer[at++] = (byte)('0' + (hundredths / 10));
            buffer[at++] = (byte)('0' + (hundredths % 10));
            at += Put(",speed="u8, buffer, at);
            at += Format(20 + (i % 50), buffer, at);
            at += Put(".5 "u8, buffer, at);
            at += Format(ts, buffer, at);
            buffer[at++] = (byte)'\n';
        }

        return buffer.AsSpan(0, at).ToArray();
    }

    private static int Put(ReadOnlySpan<byte> text, byte[] buffer, int at)
    {
        text.CopyTo(buffer.AsSpan(at));
        return text.Length;
    }

    private static int Format(long value, byte[] buffer, int at)
    {
        Utf8Formatter.TryFormat(value, buffer.AsSpan(at), out var written);
        return written;
    }
}
