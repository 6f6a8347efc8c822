namespace IotHub.Ingest;

/// <summary>Why ingest refused something. The names are stable: they label the rejection counters.</summary>
public enum RejectReason
{
    /// <summary>The payload does not decode (bad JSON, bad line protocol).</summary>
    MalformedPayload,

    /// <summary>The payload is larger than the limit.</summary>
    PayloadTooLarge,

    /// <summary>The topic is not one of the scheme's.</summary>
    UnknownTopic,

    /// <summary>The topic belongs to another device, or the direction is wrong.</summary>
    TopicNotAuthorized,

    /// <summary>The credentials at CONNECT match no device.</summary>
    BadCredentials,

    /// <summary>A measurement other than the device kind's.</summary>
    UnknownMeasurement,

    /// <summary>More tags on a point than allowed.</summary>
    TooManyTags,

    /// <summary>A unit other than the one the device kind defines for the field.</summary>
    WrongUnit,

    /// <summary>A field the device kind does not define.</summary>
    UnknownField,

    /// <summary>A value of the wrong type for the field.</summary>
    WrongFieldType,

    /// <summary>NaN or an infinity.</summary>
    NonFiniteValue,

    /// <summary>A timestamp too far in the future or past.</summary>
    TimestampOutOfRange,

    /// <summary>More readings in one payload than allowed.</summary>
    TooManyReadings,

    /// <summary>The store could not commit the write.</summary>
    StoreFailure,

    /// <summary>The write would give a device more series than the store allows (cardinality limit).</summary>
    TooManySeries,

    /// <summary>The device writes faster than its rate allows, beyond the time a write may be held: retry later.</summary>
    RateLimited,
}
