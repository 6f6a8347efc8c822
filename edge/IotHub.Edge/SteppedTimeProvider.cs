namespace IotHub.Edge;

/// <summary>A clock the backlog command sets by hand, to take readings of a past hour in order.</summary>
internal sealed class SteppedTimeProvider(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
