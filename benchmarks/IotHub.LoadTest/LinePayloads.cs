using System.Globalization;
using System.Text;

namespace IotHub.LoadTest;

/// <summary>
/// The load's data: traffic detector readings as line protocol (measurement traffic, fields of the
/// hub's traffic-detector kind), so the same bytes are valid for the hub, VictoriaMetrics and mosquitto.
/// </summary>
internal static class LinePayloads
{
    public static byte[] Build(int device, int batch, int lines, long startNs)
    {
        var text = new StringBuilder(lines * 80);
        for (var i = 0; i < lines; i++)
        {
            // One reading a second per device, batches following each other in time.
            var ts = startNs + ((((long)batch * lines) + i) * 1_000_000_000L);
            text.Append(CultureInfo.InvariantCulture, $"traffic,lane={device % 4},detector=d{device} volume={(i * 7) % 40}i,occupancy={((i % 100) / 100.0):0.00},speed={20 + (i % 50)}.5 {ts}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
