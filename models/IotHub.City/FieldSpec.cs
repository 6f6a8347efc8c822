using IotHub.Telemetry;

namespace IotHub.City;

/// <summary>One field a device kind reports: its name on the wire, type, unit and meaning.</summary>
/// <param name="Name">Field key in line protocol and JSON payloads.</param>
/// <param name="Type">The value type.</param>
/// <param name="Unit">Unit symbol (SenML / UCUM style where one exists: m, mm/h, Cel, %RH, m/s, km/h, kg, dB, ppm, V, %), or empty.</param>
/// <param name="Description">What the value means, for the dashboard and API consumers.</param>
public sealed record FieldSpec(string Name, FieldKind Type, string Unit, string Description);
