namespace IotHub.Storage.Tests;

public sealed class DirectorySyncTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("iothub-dirsync-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Flush_ExistingDirectory_Succeeds()
    {
        File.WriteAllText(Path.Combine(_directory, "segment"), "x");

        DirectorySync.Flush(_directory);
    }

    [Fact]
    public void Flush_MissingDirectory_IOExceptionNamingIt()
    {
        var missing = Path.Combine(_directory, "gone");

        var error = Assert.Throws<IOException>(() => DirectorySync.Flush(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }
}
