namespace IotHub.Hub;

/// <summary>The URLs the hub listens on, as written to <c>DIR/endpoints.json</c>.</summary>
/// <param name="Http">Base URL of the HTTP API.</param>
/// <param name="Mqtt">MQTT broker URL.</param>
/// <param name="Dashboard">The dashboard page.</param>
/// <param name="LineProtocolTcp">The TCP line protocol listener, or <c>null</c> when it is off.</param>
/// <param name="Grpc">The gRPC ingest endpoint (HTTP/2 without TLS), or <c>null</c> when it is off.</param>
/// <param name="Mqtts">The MQTT-over-TLS listener, or <c>null</c> when no certificate is configured.</param>
/// <param name="Grpcs">The gRPC-over-TLS endpoint, or <c>null</c> when it is off.</param>
public sealed record HubEndpoints(string Http, string Mqtt, string Dashboard, string? LineProtocolTcp, string? Grpc, string? Mqtts = null, string? Grpcs = null);
