namespace IotHub.City;

/// <summary>
/// A kind of device: the measurement it writes and the fields it may report. The hub rejects
/// fields a kind does not define, so this is the one place a new reading is declared.
/// </summary>
public sealed class DeviceKind
{
    private readonly Dictionary<string, FieldSpec> _byName;

    /// <summary>Creates a kind.</summary>
    public DeviceKind(string id, string measurement, string description, IReadOnlyList<FieldSpec> fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(measurement);
        ArgumentNullException.ThrowIfNull(fields);
        Id = id;
        Measurement = measurement;
        Description = description;
        Fields = fields;
        _byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
    }

    /// <summary>Stable id, as used in device registrations and devices.json (e.g. <c>river-gauge</c>).</summary>
    public string Id { get; }

    /// <summary>The measurement name its points are written under.</summary>
    public string Measurement { get; }

    /// <summary>What the device is.</summary>
    public string Description { get; }

    /// <summary>
    /// How often a device of this kind reports in normal operation (a whole number of minutes, so
    /// simulators can sample every kind on one minute grid). Simulated history and live runs use it.
    /// </summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The fields it may report.</summary>
    public IReadOnlyList<FieldSpec> Fields { get; }

    /// <summary>The field of that name, or <c>null</c> when the kind does not define it.</summary>
    public FieldSpec? FindField(string name) => _byName.GetValueOrDefault(name);

    /// <inheritdoc />
    public override string ToString() => Id;
}
