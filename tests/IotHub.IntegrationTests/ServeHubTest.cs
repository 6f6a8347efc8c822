namespace IotHub.IntegrationTests;

/// <summary>
/// A test class whose every test gets its own fresh hub (<c>serve</c>, ephemeral ports, its own
/// data folder) and an API client with the admin token: counters start at zero in each test.
/// </summary>
public abstract class ServeHubTest : IAsyncLifetime
{
    protected HubProcess Hub { get; private set; } = null!;

    protected HttpClient Api { get; private set; } = null!;

    /// <summary>Environment of the hub process (configuration such as <c>IOTHUB_Mqtt__Engine</c>); none by default.</summary>
    protected virtual IReadOnlyDictionary<string, string>? HubEnvironment => null;

    public async Task InitializeAsync()
    {
        Hub = await HubProcess.StartAsync("serve", environment: HubEnvironment);
        Api = Hub.CreateApiClient();
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await Hub.DisposeAsync();
    }
}
