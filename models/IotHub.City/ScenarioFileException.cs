namespace IotHub.City;

/// <summary>A scenario file cannot be read: every mistake found, each naming its field.</summary>
public sealed class ScenarioFileException : Exception
{
    /// <summary>Creates the exception for <paramref name="errors"/> (at least one) found in <paramref name="source"/>.</summary>
    public ScenarioFileException(string source, IReadOnlyList<ScenarioFileError> errors)
        : base(Describe(source, errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ScenarioFileException()
        : this("scenario", [new ScenarioFileError(string.Empty, "invalid scenario")])
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ScenarioFileException(string message)
        : this("scenario", [new ScenarioFileError(string.Empty, message)])
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ScenarioFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new ScenarioFileError(string.Empty, message)];
    }

    /// <summary>The mistakes, in document order; never empty.</summary>
    public IReadOnlyList<ScenarioFileError> Errors { get; }

    private static string Describe(string source, IReadOnlyList<ScenarioFileError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("At least one error is needed.", nameof(errors));
        }

        var text = new System.Text.StringBuilder();
        text.Append(source).Append(": ").Append(errors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(errors.Count == 1 ? " error" : " errors");
        foreach (var error in errors)
        {
            text.Append('\n').Append("  ").Append(error.ToString());
        }

        return text.ToString();
    }
}
