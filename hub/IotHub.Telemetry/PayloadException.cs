namespace IotHub.Telemetry;

/// <summary>A payload that does not decode; the message says what and where, for the device's operator.</summary>
public sealed class PayloadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PayloadException()
    {
    }

    /// <summary>Creates the exception with a specific reason.</summary>
    public PayloadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a specific reason and cause.</summary>
    public PayloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
