using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>The four samples tables, by value type: floats, signed integers and booleans, unsigned integers, strings.</summary>
internal static class SampleTables
{
    public static SampleTable Float { get; } = new("samples_f64", static (r, i, _) => FieldValue.FromFloat(r.GetDouble(i)));

    // Booleans are stored as 0/1 in the signed table; the series' kind says which it is.
    public static SampleTable Integer { get; } = new("samples_i64", static (r, i, kind) =>
        kind == FieldKind.Boolean ? FieldValue.FromBoolean(r.GetInt64(i) != 0) : FieldValue.FromInteger(r.GetInt64(i)));

    public static SampleTable UInteger { get; } = new("samples_u64", static (r, i, _) => FieldValue.FromUInteger(r.GetFieldValue<ulong>(i)));

    public static SampleTable Text { get; } = new("samples_str", static (r, i, _) => FieldValue.FromString(r.GetString(i)));

    public static IReadOnlyList<SampleTable> All { get; } = [Float, Integer, UInteger, Text];

    public static SampleTable For(FieldKind kind) => kind switch
    {
        FieldKind.Float => Float,
        FieldKind.Integer or FieldKind.Boolean => Integer,
        FieldKind.UInteger => UInteger,
        _ => Text,
    };
}
