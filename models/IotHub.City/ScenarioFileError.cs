namespace IotHub.City;

/// <summary>One mistake in a scenario file.</summary>
/// <param name="Path">
/// Where it is, as a path of JSON property names and array indexes
/// (<c>rivers[2].gauges[0].thresholds.floodDanger</c>); empty for the whole document.
/// </param>
/// <param name="Message">What is wrong and what would be right (<c>must be above evacuationJudgement (2.9)</c>).</param>
public sealed record ScenarioFileError(string Path, string Message)
{
    /// <summary><c>path: message</c>, the form printed to users.</summary>
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
