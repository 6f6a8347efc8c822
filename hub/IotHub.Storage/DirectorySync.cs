using System.Runtime.InteropServices;

namespace IotHub.Storage;

/// <summary>
/// Flushes a directory to disk (fsync on the directory), so that a file just created in it is
/// still there after a power cut: the file's name lives in the directory's data, which an fsync
/// of the file alone does not write.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk (Linux and macOS; elsewhere nothing to do).</summary>
    /// <exception cref="IOException">The directory cannot be opened or flushed.</exception>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"cannot open directory '{directory}' to flush it to disk (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"cannot flush directory '{directory}' to disk (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
