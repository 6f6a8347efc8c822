namespace IotHub.Storage;

/// <summary>A query the store will not answer as asked; the message says why and what to change.</summary>
public sealed class QueryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public QueryException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public QueryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and cause.</summary>
    public QueryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
