using DuckDB.NET.Data;

namespace IotHub.Storage;

/// <summary>
/// Giving free space back while the store runs. DuckDB reuses the 256 KiB blocks that deleted
/// rows free (sealed raw rows, merged parts, replaced blocks) but returns to the file system only
/// those at the end of the file, so a backfill or a burst of merges can leave a third of the file
/// free; and checkpoints that rewrite a growing table leave blocks partly filled, which no count of
/// free blocks shows. When a compaction leaves at least <see cref="ReclaimFreeFraction"/> of the file
/// free, or the store goes idle after the file grew (<see cref="TidyWhenIdle"/>), the commit loop
/// copies the database into a fresh file (live data only) and, if the copy is smaller, swaps it in: reads wait
/// for the swap (each read holds a lease, see <see cref="EnterReadAsync"/>), writes wait in the
/// queue (or, with the ingest log, are acknowledged from the log meanwhile), and a crash at any
/// point leaves either the old file or the complete copy in place.
/// </summary>
public sealed partial class DuckDbStore
{
    // Free share of the file (and least free blocks) that makes a compaction, or closing, copy the database to a fresh file.
    private const double ReclaimFreeFraction = 0.05;
    private const long ReclaimMinimumFreeBlocks = 8;

    // DuckDB's block: a copy replaces the file only if at least this much smaller.
    private const long BlockBytes = 256 * 1024;

    // Growth of the file since it was last copied that makes an idle store copy it (and at least 1 % of it).
    private const long IdleCopyMinimumGrowth = BlockBytes;

    // The store file's length after it was last copied (swapped or not), or at open; commit loop only.
    private long _lengthAtLastCopy;
    private long _fileCopies;
    private long _fileSwaps;

    // How long a swap waits for running reads to end before it gives up until the next compaction.
    private static readonly TimeSpan ReadDrainTimeout = TimeSpan.FromSeconds(5);

    // Reads in progress (each holds a lease), and while a swap runs, the task that ends with it.
    private int _activeReads;
    private TaskCompletionSource? _swap;

    // The WAL files DuckDB may leave beside a database file.
    private static readonly string[] WalSuffixes = [".wal", ".checkpoint.wal", ".recovery.wal"];

    private string ReclaimPath => DatabasePath + ".reclaim";

    /// <summary>
    /// A lease for a read on a connection of its own (see <see cref="OpenSecondConnection"/>): it
    /// waits while the file is being swapped, and a swap waits for the leases taken before it.
    /// </summary>
    private async ValueTask<ReadLease> EnterReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Interlocked.Increment(ref _activeReads);
            var swap = Volatile.Read(ref _swap);
            if (swap is null)
            {
                return new ReadLease(this);
            }

            Interlocked.Decrement(ref _activeReads);
            await swap.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Copies of the store file made while it ran (to give space back), since open.</summary>
    public long FileCopies => Interlocked.Read(ref _fileCopies);

    /// <summary>Of <see cref="FileCopies"/>, those that replaced the store file (smaller by a block or more).</summary>
    public long FileSwaps => Interlocked.Read(ref _fileSwaps);

    private long StoreFileLength()
    {
        var file = new FileInfo(DatabasePath);
        return file.Exists ? file.Length : 0;
    }

    /// <summary>Whether the file grew by <see cref="IdleCopyMinimumGrowth"/> and 1 % since it was last copied (or opened).</summary>
    private bool IdleCopyDue()
    {
        var length = StoreFileLength();
        return length - _lengthAtLastCopy >= Math.Max(IdleCopyMinimumGrowth, length / 100);
    }

    /// <summary>
    /// On the commit loop, between commits, after a checkpoint: when enough of the file is free (or,
    /// with <paramref name="idle"/>, when <see cref="IdleCopyDue"/>), copies the database into
    /// <see cref="ReclaimPath"/>; if the copy is a block or more smaller, detaches the store file,
    /// renames the copy over it (atomic) and attaches it again, else deletes the copy. Returns
    /// whether the file was replaced.
    /// </summary>
    private bool Reclaim(bool idle)
    {
        var (total, free) = FileBlocks();
        var due = idle ? IdleCopyDue() : free >= ReclaimMinimumFreeBlocks && free >= total * ReclaimFreeFraction;
        if (!due || WalHoldsData())
        {
            return false;
        }

        var swap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _swap, swap);
        try
        {
            var drain = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref _activeReads) > 0)
            {
                if (drain.Elapsed > ReadDrainTimeout)
                {
                    return false;
                }

                Thread.Sleep(1);
            }

            // Idle read connections and the commit appenders hold the attached file.
            while (_readers.TryTake(out var reader))
            {
                reader.Dispose();
            }

            DisposeAppenders();
            DeleteReclaimFiles(DatabasePath);
            try
            {
                // The copy goes through its WAL (optimistic writes are off: row groups written
                // straight into the file measured 5 % larger); the explicit checkpoint folds it into
                // the copy's file and throws if it cannot (the checkpoint DETACH runs keeps its
                // errors to itself).
                Execute($"ATTACH {SqlString(ReclaimPath)} AS reclaimed {AttachOptions}; COPY FROM DATABASE {DatabaseAlias} TO reclaimed; CHECKPOINT reclaimed; DETACH reclaimed");
                VerifyCopy();
            }
            catch
            {
                Execute("DETACH DATABASE IF EXISTS reclaimed");
                DeleteReclaimFiles(DatabasePath);
                throw;
            }

            // The copy holds the live data only: what it saves is what the file wastes.
            Interlocked.Increment(ref _fileCopies);
            var length = StoreFileLength();
            var copied = new FileInfo(ReclaimPath).Length;
            if (copied > length - BlockBytes)
            {
                DeleteReclaimFiles(DatabasePath);
                _lengthAtLastCopy = length;
                LogCopyDiscarded(_logger, length, copied);
                return false;
            }

            var replaced = false;
            try
            {
                Execute($"USE memory; DETACH {DatabaseAlias}");

                // The copy holds everything committed; a WAL left beside the old file would be
                // replayed onto the copy, so then the old file stays (nothing is written between the
                // checkpoint and the detach, so this is a guard, not a path taken).
                if (!WalHoldsData())
                {
                    File.Move(ReclaimPath, DatabasePath, overwrite: true);
                    DirectorySync.Flush(_options.DataDirectory);
                    replaced = true;
                }
            }
            finally
            {
                // Whatever failed above, the store file is attached again as the default database.
                AttachStoreAgain();
            }

            DeleteReclaimFiles(DatabasePath);
            if (replaced)
            {
                _lengthAtLastCopy = copied;
                Interlocked.Increment(ref _fileSwaps);
                LogReclaimed(_logger, free, total, length, copied);
            }

            return replaced;
        }
        finally
        {
            Volatile.Write(ref _swap, null);
            swap.TrySetResult();
        }
    }

    /// <summary>
    /// Before the copy replaces the store file: the copy left no WAL to replay (everything is in
    /// its file), and opened read-only it holds every table with the rows the store holds.
    /// </summary>
    private void VerifyCopy()
    {
        foreach (var wal in WalSuffixes)
        {
            var file = new FileInfo(ReclaimPath + wal);
            if (file.Exists && file.Length > 0)
            {
                throw new IOException($"the copy of the store left {file.Length} bytes in {file.Name}: its checkpoint did not complete, the store file stays");
            }
        }

        Execute($"ATTACH {SqlString(ReclaimPath)} AS reclaimed (READ_ONLY)");
        try
        {
            foreach (var table in StoreTables(_connection))
            {
                long original = ScalarLong($"SELECT count(*) FROM {DatabaseAlias}.main.\"{table}\"");
                long copied = ScalarLong($"SELECT count(*) FROM reclaimed.main.\"{table}\"");
                if (original != copied)
                {
                    throw new IOException($"the copy of the store holds {copied} rows of {table}, the store {original}: the store file stays");
                }
            }
        }
        finally
        {
            Execute("DETACH DATABASE IF EXISTS reclaimed");
        }
    }

    /// <summary>
    /// Attaches the store file again as the default database after a swap, tried a few times: a
    /// store attached to nothing would fail every commit, so if it cannot be attached the process
    /// ends (acknowledged writes are in the ingest log, and a restart replays them).
    /// </summary>
    private void AttachStoreAgain()
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var attached = ScalarLong($"SELECT count(*) FROM duckdb_databases() WHERE database_name = '{DatabaseAlias}'") > 0;
                Execute(attached ? $"USE {DatabaseAlias}" : $"ATTACH {SqlString(DatabasePath)} AS {DatabaseAlias} {AttachOptions}; USE {DatabaseAlias}");
                return;
            }
            catch (Exception ex) when ((ex is DuckDBException or IOException) && attempt < 5)
            {
                LogMaintenanceFailed(_logger, ex);
                Thread.Sleep(200 * attempt);
            }
            catch (Exception ex) when (ex is DuckDBException or IOException)
            {
                Environment.FailFast($"the store file {DatabasePath} could not be attached again after a file swap: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Deletes what a swap of the store file at <paramref name="databasePath"/> may have left: the copy and its WALs.</summary>
    private static void DeleteReclaimFiles(string databasePath)
    {
        var copy = databasePath + ".reclaim";
        File.Delete(copy);
        foreach (var wal in WalSuffixes)
        {
            File.Delete(copy + wal);
        }
    }

    /// <summary>The store file's 256 KiB blocks: all, and free.</summary>
    private (long Total, long Free) FileBlocks()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = '{DatabaseAlias}'";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    private bool WalHoldsData()
    {
        var wal = new FileInfo(DatabasePath + ".wal");
        return wal.Exists && wal.Length > 0;
    }

    /// <summary>Held by a read for its connection's use; disposing it ends the read.</summary>
    private readonly struct ReadLease(DuckDbStore store) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref store._activeReads);
    }
}
