namespace IotHub.Storage;

/// <summary>
/// Where a logged write's acknowledgement runs. By default the ingest log completes a group's writers
/// from one thread-pool work item after the group's <c>fdatasync</c>. A writer whose continuation only
/// writes an answer to a socket (the direct MQTT engine's PUBACK) can ask, for the writes it starts
/// inside <see cref="CompleteOnLogThread"/>'s scope, to be completed on the log's flusher thread
/// itself: no thread hop per group, the answers leave right after the sync. Such a continuation must
/// do no more than that (it delays the next group's write while it runs); <see cref="OnLogThread"/>
/// tells it where it runs.
/// </summary>
public static class IngestLogAcks
{
    [ThreadStatic]
    private static bool t_completeOnLogThread;

    [ThreadStatic]
    private static bool t_onLogThread;

    /// <summary>Whether the calling thread is the ingest log's flusher thread.</summary>
    public static bool OnLogThread => t_onLogThread;

    /// <summary>Whether writes the calling thread appends now are completed on the log's flusher thread.</summary>
    internal static bool CompleteOnLogThreadRequested => t_completeOnLogThread;

    /// <summary>
    /// Until disposed, the writes this thread appends to the ingest log synchronously (before the
    /// write's first await) are completed on the log's flusher thread. A write that waits first (for
    /// room in the backlog) appends on another thread and is completed from the thread pool as usual.
    /// </summary>
    public static Scope CompleteOnLogThread()
    {
        var previous = t_completeOnLogThread;
        t_completeOnLogThread = true;
        return new Scope(previous);
    }

    /// <summary>Marks the calling thread as the log's flusher thread (called once by it).</summary>
    internal static void MarkLogThread() => t_onLogThread = true;

    /// <summary>The scope of <see cref="CompleteOnLogThread"/>: disposing it restores the previous setting.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _previous;

        internal Scope(bool previous) => _previous = previous;

        /// <inheritdoc />
        public void Dispose() => t_completeOnLogThread = _previous;
    }
}
