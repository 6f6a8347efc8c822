namespace IotHub.Hub;

/// <summary>Body of <c>POST /api/v1/devices</c>.</summary>
/// <param name="Id">Device id.</param>
/// <param name="Kind">Device kind id.</param>
/// <param name="Name">Optional name.</param>
/// <param name="Tags">Optional tags for every point of the device.</param>
/// <param name="Token">Optional token (16+ characters); a random one is generated otherwise.</param>
public sealed record DeviceRegistration(string? Id, string? Kind, string? Name, Dictionary<string, string>? Tags, string? Token);
