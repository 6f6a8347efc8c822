namespace IotHub.Storage;

/// <summary>What became of a write.</summary>
public enum WriteOutcome
{
    /// <summary>The points are committed.</summary>
    Committed,

    /// <summary>The batch's sequence was already committed: nothing was written again (the first write stands).</summary>
    Duplicate,
}
