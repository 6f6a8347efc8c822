namespace IotHub.Telemetry;

/// <summary>The five field types of the InfluxDB line protocol data model.</summary>
public enum FieldKind : byte
{
    /// <summary>64-bit IEEE 754 float (line protocol: <c>1.5</c>, <c>1e3</c>).</summary>
    Float,

    /// <summary>Signed 64-bit integer (line protocol: <c>42i</c>).</summary>
    Integer,

    /// <summary>Unsigned 64-bit integer (line protocol: <c>42u</c>).</summary>
    UInteger,

    /// <summary>Boolean (line protocol: <c>t</c>, <c>true</c>, <c>F</c>, ...).</summary>
    Boolean,

    /// <summary>UTF-8 string (line protocol: <c>"text"</c>).</summary>
    String,
}
