namespace IotHub.Ingest;

/// <summary>
/// Writes a file that holds secrets (or their hashes) so that a crash leaves either the old or the
/// new file, never half of one, and only the owner can read it: a temporary file made
/// owner-only before anything is written, synced, then renamed into place.
/// </summary>
public static class PrivateFile
{
    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes.</summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            write(stream);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
