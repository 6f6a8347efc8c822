using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>The four samples tables, by value type: floats, signed integers and booleans, unsigned integers, strings.</summary>
internal static class SampleTables
{
    public static SampleTable Float { get; } = new("f64", true, static (r, i, _) => FieldValue.FromFloat(r.GetDouble(i)));

    // Booleans are stored as 0/1 in the signed table; the series' kind says which it is.
    public static SampleTable Integer { get; } = new("i64", true, static (r, i, kind) =>
        kind == FieldKind.Boolean ? FieldValue.FromBoolean(r.GetInt64(i) != 0) : FieldValue.FromInteger(r.GetInt64(i)));

    public static SampleTable UInteger { get; } = new("u64", true, static (r, i, _) => FieldValue.FromUInteger(r.GetFieldValue<ulong>(i)));

    public static SampleTable Text { get; } = new("str", false, static (r, i, _) => FieldValue.FromString(r.GetString(i)));

    public static IReadOnlyList<SampleTable> All { get; } = [Float, Integer, UInteger, Text];

    public static IReadOnlyList<SampleTable> Numeric { get; } = [Float, Integer, UInteger];

    public static SampleTable For(FieldKind kind) => kind switch
    {
        FieldKind.Float => Float,
        FieldKind.Integer or FieldKind.Boolean => Integer,
        FieldKind.UInteger => UInteger,
        _ => Text,
    };

    public static int IndexOf(FieldKind kind) => kind switch
    {
        FieldKind.Float => 0,
        FieldKind.Integer or FieldKind.Boolean => 1,
        FieldKind.UInteger => 2,
        _ => 3,
    };
}
