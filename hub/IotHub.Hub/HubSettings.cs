namespace IotHub.Hub;

/// <summary>What the command line chose for one run of the hub.</summary>
/// <param name="DataDirectory">Folder of the store, registry, admin.json and endpoints.json.</param>
/// <param name="HttpPort">HTTP port (API, dashboard); 0 = any free port.</param>
/// <param name="MqttPort">MQTT port; 0 = any free port.</param>
/// <param name="AdminToken">Admin token to use instead of the stored or generated one, or <c>null</c>.</param>
/// <param name="Demo">Whether to run the simulated city inside the hub.</param>
/// <param name="Seed">Simulation seed (demo).</param>
/// <param name="TcpPort">TCP line protocol port (0 = any free port), or <c>null</c> for none.</param>
/// <param name="GrpcPort">gRPC ingest port (0 = any free port), or <c>null</c> for none.</param>
/// <param name="Tls">The MQTT-over-TLS listener, or <c>null</c> for none.</param>
public sealed record HubSettings(string DataDirectory, int HttpPort, int MqttPort, string? AdminToken, bool Demo, int Seed, int? TcpPort, int? GrpcPort, HubTls? Tls = null);
