using Microsoft.Extensions.Time.Testing;

namespace IotHub.Ingest.Tests;

public sealed class DeviceRegistryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-registry-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Register_ThenAuthenticate_ByIdAndTokenOrTokenAlone()
    {
        var registry = DeviceRegistry.Load(_directory);

        var token = registry.Register("gauge-1", "river-gauge", "Gauge", new Dictionary<string, string>(), null, _time);

        Assert.True(registry.TryAuthenticate("gauge-1", token, out var byId));
        Assert.Equal("gauge-1", byId.Id);
        Assert.True(registry.TryAuthenticateToken(token, out var byToken));
        Assert.Equal("gauge-1", byToken.Id);
        Assert.False(registry.TryAuthenticate("gauge-1", token + "x", out _));
        Assert.False(registry.TryAuthenticate("gauge-2", token, out _));
        Assert.False(registry.TryAuthenticateToken("", out _));
    }

    [Fact]
    public void Load_AfterRegister_DevicesPersistedWithoutPlainTokens()
    {
        var token = DeviceRegistry.Load(_directory).Register("pole-1", "smart-pole", "Pole", new Dictionary<string, string> { ["area"] = "nishi-shinjuku" }, null, _time);

        var reloaded = DeviceRegistry.Load(_directory);

        Assert.True(reloaded.TryAuthenticate("pole-1", token, out var device));
        Assert.Equal("nishi-shinjuku", device.Tags["area"]);
        Assert.DoesNotContain(token, File.ReadAllText(Path.Combine(_directory, "registry.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/b", "river-gauge", "Device id")]
    [InlineData("a+b", "river-gauge", "Device id")]
    [InlineData("", "river-gauge", "Device id")]
    [InlineData("ok-id", "toaster", "Unknown device kind 'toaster'")]
    public void Register_InvalidIdOrKind_ArgumentExceptionNamingIt(string id, string kind, string expected)
    {
        var registry = DeviceRegistry.Load(_directory);

        var error = Assert.Throws<ArgumentException>(() => registry.Register(id, kind, "", new Dictionary<string, string>(), null, _time));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Register_TokenOfAnotherDevice_Refused()
    {
        var registry = DeviceRegistry.Load(_directory);
        var token = registry.Register("a-1", "manhole", "", new Dictionary<string, string>(), null, _time);

        var error = Assert.Throws<ArgumentException>(() => registry.Register("a-2", "manhole", "", new Dictionary<string, string>(), token, _time));

        Assert.Contains("already used by device 'a-1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegisterMany_OneInvalid_NoneRegisteredAndErrorNamesIt()
    {
        var registry = DeviceRegistry.Load(_directory);
        var none = new Dictionary<string, string>();

        var error = Assert.Throws<ArgumentException>(() => registry.RegisterMany(
            [new DeviceRegistrationRequest("ok-1", "manhole", "", none), new DeviceRegistrationRequest("bad/2", "manhole", "", none)], _time));

        Assert.Contains("device 1 ('bad/2')", error.Message, StringComparison.Ordinal);
        Assert.Empty(registry.Devices);
    }

    [Fact]
    public void RegisterMany_ThousandDevices_AllAuthenticateAfterReload()
    {
        var registry = DeviceRegistry.Load(_directory);
        var requests = Enumerable.Range(0, 1000).Select(i => new DeviceRegistrationRequest($"det-{i}", "traffic-detector", "", new Dictionary<string, string>())).ToList();

        var tokens = registry.RegisterMany(requests, _time);

        var reloaded = DeviceRegistry.Load(_directory);
        Assert.Equal(1000, reloaded.Devices.Count);
        Assert.True(reloaded.TryAuthenticate("det-999", tokens[999], out _));
    }

    [Fact]
    public void Load_CorruptFile_InvalidDataExceptionNamingFile()
    {
        File.WriteAllText(Path.Combine(_directory, "registry.json"), "{ not json");

        var error = Assert.Throws<InvalidDataException>(() => DeviceRegistry.Load(_directory));

        Assert.Contains("registry.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetConnected_TwoConnectionsOneClosed_StillConnected()
    {
        var registry = DeviceRegistry.Load(_directory);

        registry.SetConnected("d", connected: true);
        registry.SetConnected("d", connected: true);
        registry.SetConnected("d", connected: false);

        Assert.True(registry.IsConnected("d"));
        registry.SetConnected("d", connected: false);
        Assert.False(registry.IsConnected("d"));
        Assert.Equal(0, registry.ConnectedCount);
    }
}
