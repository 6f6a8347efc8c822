namespace IotHub.Storage;

/// <summary>Why the store refused a write that resending unchanged cannot fix.</summary>
public enum WriteRefusal
{
    /// <summary>A field has another type than its series (a series keeps the type of its first write).</summary>
    FieldTypeConflict,

    /// <summary>The write would give a device more series than <see cref="StorageOptions.MaxSeriesPerDevice"/>.</summary>
    TooManySeries,
}

/// <summary>
/// The store refused a write as bad input: nothing of it was stored, and resending it unchanged
/// cannot succeed, so listeners answer it as a client error, not as a busy store.
/// </summary>
public sealed class WriteRefusedException : StorageException
{
    /// <summary>Creates the exception.</summary>
    public WriteRefusedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WriteRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public WriteRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a refusal, with a message naming the field or device and the limit.</summary>
    public WriteRefusedException(WriteRefusal refusal, string message)
        : base(message)
    {
        Refusal = refusal;
    }

    /// <summary>Why the write was refused.</summary>
    public WriteRefusal Refusal { get; }
}
