namespace IotHub.Storage;

/// <summary>
/// A position that only grows (bytes of the ingest log made durable, or applied to the store)
/// and lets callers wait until it reaches a target, asynchronously or blocking.
/// </summary>
internal sealed class PositionSignal(long initial)
{
    private long _value = initial;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Value => Volatile.Read(ref _value);

    public void Advance(long value)
    {
        Volatile.Write(ref _value, value);
        Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Wakes the waiters without a change (they look again at what they wait for).</summary>
    public void Pulse() =>
        Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes when the position is at least <paramref name="target"/> or <paramref name="stop"/> says to stop waiting.</summary>
    public async Task WaitAsync(long target, Func<bool> stop, CancellationToken cancellationToken)
    {
        while (true)
        {
            // The task before the value: an advance between the two still completes this task.
            var changed = Volatile.Read(ref _changed).Task;
            if (Value >= target || stop())
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Blocks until the position is at least <paramref name="target"/> or <paramref name="stop"/> says to stop waiting.</summary>
    public void Wait(long target, Func<bool> stop)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (Value >= target || stop())
            {
                return;
            }

            changed.Wait();
        }
    }

    /// <summary>The task that completes at the next change.</summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;
}
