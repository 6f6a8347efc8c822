namespace IotHub.Ingest;

/// <summary>A message ingest refused, with the counter it goes under and a reason a person can act on.</summary>
public sealed class IngestRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IngestRejectedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public IngestRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public IngestRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a reason.</summary>
    public IngestRejectedException(RejectReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>The rejection's counter.</summary>
    public RejectReason Reason { get; } = RejectReason.MalformedPayload;
}
