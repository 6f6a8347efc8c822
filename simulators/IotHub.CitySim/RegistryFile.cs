using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace IotHub.CitySim;

/// <summary>
/// Writes a hub's <c>registry.json</c> directly, before the hub starts, for load runs of 100,000
/// devices: the hub rewrites the whole file on every <c>POST /api/v1/devices</c>, so registering
/// N devices one by one costs O(N^2) bytes written. The format is the hub's <c>DeviceRecord</c>
/// list (PascalCase, token SHA-256 in upper-case hex); a change there breaks this on purpose-built
/// runs only, never the hub.
/// </summary>
internal static class RegistryFile
{
    public static void Write(string dataDirectory, IEnumerable<DeviceRegistrar.Registration> devices)
    {
        Directory.CreateDirectory(dataDirectory);
        string path = Path.Combine(dataDirectory, "registry.json");
        if (File.Exists(path))
        {
            throw new IOException($"{path} exists: give an empty data folder (the hub must not be running on it).");
        }

        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var json = new Utf8JsonWriter(stream);
        string created = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        json.WriteStartArray();
        foreach (var device in devices)
        {
            json.WriteStartObject();
            json.WriteString("Id", device.Id);
            json.WriteString("Kind", device.Kind);
            json.WriteString("Name", device.Name);
            json.WriteStartObject("Tags");
            foreach (var (key, value) in device.Tags)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteString("TokenSha256", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(device.Token))));
            json.WriteString("CreatedAt", created);
            json.WriteNull("Thresholds");
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
