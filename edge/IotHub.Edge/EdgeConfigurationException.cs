namespace IotHub.Edge;

/// <summary>The agent's configuration cannot work: the message says what to fix, in one line.</summary>
public sealed class EdgeConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EdgeConfigurationException()
    {
    }

    /// <summary>Creates the exception with a message that names the setting and what is wrong.</summary>
    public EdgeConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public EdgeConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
