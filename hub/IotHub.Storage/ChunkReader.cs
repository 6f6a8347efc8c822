using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace IotHub.Storage;

/// <summary>
/// Reads a query's result a data chunk (up to 2,048 rows) at a time, straight from DuckDB's
/// vectors: the counterpart of <see cref="ChunkAppender"/> for the seal pass, which reads every raw
/// row back. The managed reader spends about 100 ns per (series_id, ts, value) row there (a
/// virtual call and a type check per column); this path is three loads per row. Columns are read
/// as fixed-width values (INTEGER, BIGINT, UBIGINT, DOUBLE) that may not be NULL. The result
/// streams (no copy of all rows in DuckDB's memory); it runs in the connection's open transaction.
/// </summary>
internal sealed unsafe class ChunkReader : IDisposable
{
    private DuckDBPreparedStatement _statement;
    private DuckDBResult _result;
    private DuckDBDataChunk? _chunk;
    private bool _executed;

    public ChunkReader(DuckDBConnection connection, string sql)
    {
        if (NativeMethods.PreparedStatements.DuckDBPrepare(connection.NativeConnection, sql, out _statement) != DuckDBState.Success)
        {
            var error = NativeMethods.PreparedStatements.DuckDBPrepareError(_statement);
            _statement.Dispose();
            throw new InvalidOperationException("DuckDB could not prepare a read: " + error);
        }

        if (NativeMethods.PreparedStatements.DuckDBExecutePrepared(_statement, out _result) != DuckDBState.Success)
        {
            var error = NativeMethods.Query.DuckDBResultError(ref _result);
            NativeMethods.Query.DuckDBDestroyResult(ref _result);
            _statement.Dispose();
            throw new InvalidOperationException("DuckDB could not run a read: " + error);
        }

        _executed = true;
    }

    /// <summary>Moves to the next chunk; returns its row count, 0 at the end.</summary>
    public int Next()
    {
        _chunk?.Dispose();
        _chunk = NativeMethods.Query.DuckDBFetchChunk(_result);
        if (_chunk.IsInvalid)
        {
            // End of the result, or a failure while streaming it.
            var error = NativeMethods.Query.DuckDBResultError(ref _result);
            if (!string.IsNullOrEmpty(error))
            {
                throw new InvalidOperationException("DuckDB failed during a read: " + error);
            }

            return 0;
        }

        return (int)NativeMethods.DataChunks.DuckDBDataChunkGetSize(_chunk);
    }

    /// <summary>The current chunk's values of column <paramref name="column"/> (valid until <see cref="Next"/>).</summary>
    public T* Column<T>(int column)
        where T : unmanaged =>
        (T*)NativeMethods.Vectors.DuckDBVectorGetData(NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk!, column));

    public void Dispose()
    {
        _chunk?.Dispose();
        _chunk = null;
        if (_executed)
        {
            _executed = false;
            NativeMethods.Query.DuckDBDestroyResult(ref _result);
            _statement.Dispose();
        }
    }
}
