using System.Data.Common;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>One samples table and how its value column maps to <see cref="FieldValue"/>.</summary>
internal sealed class SampleTable(string name, Func<DbDataReader, int, FieldKind, FieldValue> read)
{
    public string Name { get; } = name;

    public FieldValue Read(DbDataReader reader, int ordinal, FieldKind kind) => read(reader, ordinal, kind);
}
