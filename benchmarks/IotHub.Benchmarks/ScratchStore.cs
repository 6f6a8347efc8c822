using IotHub.Storage;

namespace IotHub.Benchmarks;

/// <summary>Closing a store a benchmark opened in a scratch folder of its own.</summary>
internal static class ScratchStore
{
    /// <summary>Closes <paramref name="store"/>, when it is open, and deletes its <paramref name="directory"/>.</summary>
    public static void Close(DuckDbStore? store, string directory)
    {
        if (store is null)
        {
            return;
        }

        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(directory, recursive: true);
    }
}
