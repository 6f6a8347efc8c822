using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IotHub.City;
using IotHub.Telemetry;

namespace IotHub.Ingest;

/// <summary>
/// The devices the hub knows, with their kinds and token hashes, persisted to
/// <c>registry.json</c> in the data folder (written to a temporary file, synced, then renamed,
/// so a crash leaves either the old or the new file). Also tracks who is connected now.
/// </summary>
public sealed class DeviceRegistry
{
    private const string FileName = "registry.json";
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private readonly string _path;
    private readonly Lock _writeLock = new();
    private readonly ConcurrentDictionary<string, DeviceRecord> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeviceRecord> _byTokenHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastMessage = new(StringComparer.Ordinal);

    private DeviceRegistry(string path) => _path = path;

    /// <summary>Every registered device, by id.</summary>
    public IReadOnlyCollection<DeviceRecord> Devices => (IReadOnlyCollection<DeviceRecord>)_byId.Values;

    /// <summary>Loads the registry of a data folder (empty when there is none yet).</summary>
    /// <exception cref="InvalidDataException">The file exists but cannot be read as a registry.</exception>
    public static DeviceRegistry Load(string dataDirectory)
    {
        var registry = new DeviceRegistry(Path.Combine(dataDirectory, FileName));
        if (File.Exists(registry._path))
        {
            List<DeviceRecord>? records;
            try
            {
                records = JsonSerializer.Deserialize<List<DeviceRecord>>(File.ReadAllBytes(registry._path), JsonOptions);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{registry._path} is not a valid device registry: {ex.Message}", ex);
            }

            foreach (var record in records ?? [])
            {
                registry._byId[record.Id] = record;
                registry._byTokenHash[record.TokenSha256] = record;
            }
        }

        return registry;
    }

    /// <summary>
    /// Registers a device, or replaces its kind, name, tags and token. Returns the token: the
    /// one given, or a new random one.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid id, unknown kind, or a token already used by another device.</exception>
    public string Register(string id, string kind, string name, IReadOnlyDictionary<string, string> tags, string? token, TimeProvider time, GaugeThresholds? thresholds = null) =>
        RegisterMany([new DeviceRegistrationRequest(id, kind, name, tags, token, thresholds)], time)[0];

    /// <summary>
    /// Registers many devices with one write of the registry file: all of them, or (when one is
    /// invalid) none. Returns their tokens in order.
    /// </summary>
    /// <exception cref="ArgumentException">Names the first invalid device by its position and id.</exception>
    public IReadOnlyList<string> RegisterMany(IReadOnlyList<DeviceRegistrationRequest> devices, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(time);
        var tokens = new string[devices.Count];
        var hashes = new string[devices.Count];
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < devices.Count; i++)
        {
            var device = devices[i];
            var where = devices.Count > 1 ? $"device {i} ('{device.Id}'): " : "";
            if (!DeviceTopic.IsValidDeviceId(device.Id))
            {
                throw new ArgumentException($"{where}Device id '{device.Id}' is invalid: use 1-64 ASCII letters, digits, '-', '_' or '.'.", nameof(devices));
            }

            if (!DeviceKinds.TryGet(device.Kind, out _))
            {
                throw new ArgumentException($"{where}Unknown device kind '{device.Kind}'; known: {string.Join(", ", DeviceKinds.All)}.", nameof(devices));
            }

            if (device.Token is { Length: < 16 })
            {
                throw new ArgumentException($"{where}A device token must have at least 16 characters.", nameof(devices));
            }

            if (!seenIds.Add(device.Id))
            {
                throw new ArgumentException($"{where}Device id '{device.Id}' appears twice.", nameof(devices));
            }

            tokens[i] = device.Token ?? NewToken();
            hashes[i] = Hash(tokens[i]);
        }

        lock (_writeLock)
        {
            for (var i = 0; i < devices.Count; i++)
            {
                if (_byTokenHash.TryGetValue(hashes[i], out var holder) && holder.Id != devices[i].Id)
                {
                    throw new ArgumentException($"That token is already used by device '{holder.Id}'.", nameof(devices));
                }
            }

            for (var i = 0; i < devices.Count; i++)
            {
                var device = devices[i];
                if (_byId.TryGetValue(device.Id, out var previous))
                {
                    _byTokenHash.TryRemove(previous.TokenSha256, out _);
                }

                var record = new DeviceRecord(
                    device.Id,
                    device.Kind,
                    string.IsNullOrWhiteSpace(device.Name) ? device.Id : device.Name,
                    new Dictionary<string, string>(device.Tags, StringComparer.Ordinal),
                    hashes[i],
                    previous?.CreatedAt ?? time.GetUtcNow(),
                    device.Thresholds);
                _byId[device.Id] = record;
                _byTokenHash[hashes[i]] = record;
            }

            Save();
        }

        return tokens;
    }

    /// <summary>Finds a device by id.</summary>
    public bool TryGet(string id, [NotNullWhen(true)] out DeviceRecord? device) => _byId.TryGetValue(id, out device);

    /// <summary>The device whose token this is (ThingsBoard style: username = token).</summary>
    public bool TryAuthenticateToken(string? token, [NotNullWhen(true)] out DeviceRecord? device)
    {
        device = null;
        return !string.IsNullOrEmpty(token) && _byTokenHash.TryGetValue(Hash(token), out device);
    }

    /// <summary>The device with this id, if the token is its own.</summary>
    public bool TryAuthenticate(string? id, string? token, [NotNullWhen(true)] out DeviceRecord? device)
    {
        device = null;
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(token) || !_byId.TryGetValue(id, out var candidate))
        {
            return false;
        }

        var expected = Convert.FromHexString(candidate.TokenSha256);
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
        {
            return false;
        }

        device = candidate;
        return true;
    }

    /// <summary>Notes a connection of the device opened or closed.</summary>
    public void SetConnected(string id, bool connected) =>
        _connections.AddOrUpdate(id, connected ? 1 : 0, (_, count) => Math.Max(0, count + (connected ? 1 : -1)));

    /// <summary>Whether the device has an open connection.</summary>
    public bool IsConnected(string id) => _connections.TryGetValue(id, out var count) && count > 0;

    /// <summary>Devices with an open connection.</summary>
    public int ConnectedCount
    {
        get
        {
            var count = 0;
            foreach (var pair in _connections)
            {
                if (pair.Value > 0)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>Notes that a message of the device was accepted now.</summary>
    public void MarkMessage(string id, DateTimeOffset now) => _lastMessage[id] = now;

    /// <summary>When the hub last accepted a message of the device since it started.</summary>
    public DateTimeOffset? LastMessage(string id) => _lastMessage.TryGetValue(id, out var at) ? at : null;

    /// <summary>A new random token: 32 bytes, URL-safe base64.</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    // Tokens' hashes only, but the file is still the hub's to read.
    private void Save() => PrivateFile.WriteAtomically(
        _path,
        stream => JsonSerializer.Serialize(stream, _byId.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList(), JsonOptions));
}
