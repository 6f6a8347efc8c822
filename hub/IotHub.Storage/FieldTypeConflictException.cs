namespace IotHub.Storage;

/// <summary>
/// A write gave a field a type other than the one its series was created with (a series keeps the
/// type of its first write). Nothing of the write was stored, and resending it unchanged cannot
/// succeed: listeners answer it as bad input, not as a busy store.
/// </summary>
public sealed class FieldTypeConflictException : StorageException
{
    /// <summary>Creates the exception.</summary>
    public FieldTypeConflictException()
    {
    }

    /// <summary>Creates the exception with a message naming the field, its stored type and the written one.</summary>
    public FieldTypeConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public FieldTypeConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
