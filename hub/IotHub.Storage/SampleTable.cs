using System.Data.Common;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>One samples table (both tiers) and how its value column maps to <see cref="FieldValue"/>.</summary>
internal sealed class SampleTable(string suffix, bool numeric, Func<DbDataReader, int, FieldKind, FieldValue> read)
{
    /// <summary>The compacted tier, sorted by (series, time) in runs.</summary>
    public string Name { get; } = "samples_" + suffix;

    /// <summary>The arrival-order tier.</summary>
    public string RecentName { get; } = "recent_" + suffix;

    public bool Numeric { get; } = numeric;

    public FieldValue Read(DbDataReader reader, int ordinal, FieldKind kind) => read(reader, ordinal, kind);
}
