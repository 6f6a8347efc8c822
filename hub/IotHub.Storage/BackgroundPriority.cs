using System.Runtime.InteropServices;

namespace IotHub.Storage;

/// <summary>
/// Lowers the CPU priority of the calling thread (Linux: its nice value), for the store's
/// commit thread (applying the ingest log to the database, sealing blocks;
/// <see cref="StorageOptions.CommitThreadNice"/>): when the cores are
/// busy, the acknowledgement path gets them first and the background work catches up when they
/// are not. The work is bounded all the same: writers wait once the log's backlog is over
/// <see cref="StorageOptions.IngestLogMaxBacklogMegabytes"/>, and then it has the cores.
/// </summary>
internal static partial class BackgroundPriority
{
    private const int PriorityProcess = 0;

    /// <summary>
    /// Sets the calling thread's nice value to <paramref name="nice"/> (0 = unchanged, up to 19).
    /// Returns false where it cannot (not Linux, or refused); the thread then runs as before.
    /// </summary>
    public static bool LowerCurrentThread(int nice)
    {
        if (nice <= 0 || !OperatingSystem.IsLinux())
        {
            return false;
        }

        // On Linux setpriority with a thread id applies to that thread only.
        return SetPriority(PriorityProcess, GetThreadId(), Math.Min(nice, 19)) == 0;
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
