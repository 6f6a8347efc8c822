namespace IotHub.Telemetry.LineProtocol;

/// <summary>The place of a name or string in a line, which decides its escapes.</summary>
internal enum NameKind
{
    /// <summary>Escapes space and comma.</summary>
    Measurement,

    /// <summary>Tag keys, tag values and field keys: escapes space, comma and equals sign.</summary>
    Key,

    /// <summary>String field values: escapes backslash, double quote, LF, CR and tab.</summary>
    String,
}
