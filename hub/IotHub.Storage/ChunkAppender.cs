using System.Runtime.CompilerServices;
using DuckDB.NET.Data;
using DuckDB.NET.Native;
using NativeAppender = DuckDB.NET.Native.DuckDBAppender;

namespace IotHub.Storage;

/// <summary>
/// Appends (series_id INTEGER, ts BIGINT, value DOUBLE or BIGINT) rows straight into a DuckDB
/// data chunk's vectors and hands DuckDB a full vector (2,048 rows) at a time. The managed
/// per-row appender spends about 2 µs per row here (a row object and three typed writer calls);
/// this path is three stores per row, which the 3 M points/s ingest target needs (see
/// benchmarks/RESULTS-store.md). <see cref="FlushToTransaction"/> hands the rows to the
/// connection's open transaction and keeps the appender for the next one (creating an appender
/// costs DuckDB a catalog lookup per commit); dispose flushes and closes it.
/// </summary>
internal sealed unsafe class ChunkAppender : IDisposable
{
    private readonly NativeAppender _appender;
    private readonly DuckDBDataChunk _chunk;
    private readonly int _capacity;
    private int* _ids;
    private long* _timestamps;
    private void* _values;
    private int _rows;
    private bool _closed;

    public ChunkAppender(DuckDBConnection connection, string table, bool floatValues)
    {
        if (NativeMethods.Appender.DuckDBAppenderCreate(connection.NativeConnection, null, table, out _appender) != DuckDBState.Success)
        {
            throw new InvalidOperationException($"Cannot create an appender for table {table}.");
        }

        using var idType = NativeMethods.LogicalType.DuckDBCreateLogicalType(DuckDBType.Integer);
        using var tsType = NativeMethods.LogicalType.DuckDBCreateLogicalType(DuckDBType.BigInt);
        using var valueType = NativeMethods.LogicalType.DuckDBCreateLogicalType(floatValues ? DuckDBType.Double : DuckDBType.BigInt);
        _chunk = NativeMethods.DataChunks.DuckDBCreateDataChunk([idType.DangerousGetHandle(), tsType.DangerousGetHandle(), valueType.DangerousGetHandle()], 3);
        _capacity = (int)NativeMethods.Helpers.DuckDBVectorSize();
        MapVectors();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Append(int seriesId, long timestampNs, double value)
    {
        _ids[_rows] = seriesId;
        _timestamps[_rows] = timestampNs;
        ((double*)_values)[_rows] = value;
        if (++_rows == _capacity)
        {
            Flush();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Append(int seriesId, long timestampNs, long value)
    {
        _ids[_rows] = seriesId;
        _timestamps[_rows] = timestampNs;
        ((long*)_values)[_rows] = value;
        if (++_rows == _capacity)
        {
            Flush();
        }
    }

    /// <summary>Hands every row appended so far to the connection's open transaction; the appender stays usable.</summary>
    public void FlushToTransaction()
    {
        Flush();
        if (NativeMethods.Appender.DuckDBAppenderFlush(_appender) != DuckDBState.Success)
        {
            throw new InvalidOperationException("The appender could not flush its rows.");
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_closed)
            {
                _closed = true;
                Flush();
                if (NativeMethods.Appender.DuckDBAppenderClose(_appender) != DuckDBState.Success)
                {
                    throw new InvalidOperationException("The appender could not flush its rows.");
                }
            }
        }
        finally
        {
            _appender.Dispose();
            _chunk.Dispose();
        }
    }

    private void Flush()
    {
        if (_rows == 0)
        {
            return;
        }

        NativeMethods.DataChunks.DuckDBDataChunkSetSize(_chunk, (ulong)_rows);
        if (NativeMethods.Appender.DuckDBAppendDataChunk(_appender, _chunk) != DuckDBState.Success)
        {
            throw new InvalidOperationException("DuckDB refused a chunk of rows.");
        }

        NativeMethods.DataChunks.DuckDBDataChunkReset(_chunk);
        _rows = 0;

        // A reset may give the vectors new buffers.
        MapVectors();
    }

    private void MapVectors()
    {
        _ids = (int*)(void*)NativeMethods.Vectors.DuckDBVectorGetData(NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk, 0));
        _timestamps = (long*)(void*)NativeMethods.Vectors.DuckDBVectorGetData(NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk, 1));
        _values = (void*)NativeMethods.Vectors.DuckDBVectorGetData(NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk, 2));
    }
}
