using DuckDB.NET.Data;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// The commit loop's appenders, opened on first use: one per recent-tier samples table. <see cref="FlushToTransaction"/> hands a commit's rows
/// to the connection's open transaction (the caller commits); the float and integer appenders,
/// which every commit uses, stay open for the next commit, the others are closed. After a failed
/// commit the caller disposes the instance and starts a new one.
/// </summary>
internal sealed class SampleAppenders(DuckDBConnection connection) : IDisposable
{
    private ChunkAppender? _float;
    private ChunkAppender? _integer;
    private DuckDBAppender? _unsigned;
    private DuckDBAppender? _text;

    /// <summary>Rows appended since the last <see cref="FlushToTransaction"/>.</summary>
    public long Rows { get; private set; }

    /// <summary>Hands every appended row to the open transaction; returns how many rows that was.</summary>
    public long FlushToTransaction()
    {
        _float?.FlushToTransaction();
        _integer?.FlushToTransaction();
        CloseAndForget(ref _unsigned);
        CloseAndForget(ref _text);
        var rows = Rows;
        Rows = 0;
        return rows;
    }

    public void Append(int seriesId, long timestampNs, in FieldValue value)
    {
        switch (value.Kind)
        {
            case FieldKind.Float:
                AppendFloat(seriesId, timestampNs, value.AsFloat);
                break;
            case FieldKind.Integer:
                AppendInteger(seriesId, timestampNs, value.AsInteger);
                break;
            case FieldKind.Boolean:
                AppendInteger(seriesId, timestampNs, value.AsBoolean ? 1L : 0L);
                break;
            case FieldKind.UInteger:
                Rows++;
                (_unsigned ??= connection.CreateAppender(SampleTables.UInteger.RecentName)).CreateRow()
                    .AppendValue(seriesId).AppendValue(timestampNs).AppendValue(value.AsUInteger).EndRow();
                break;
            default:
                Rows++;
                (_text ??= connection.CreateAppender(SampleTables.Text.RecentName)).CreateRow()
                    .AppendValue(seriesId).AppendValue(timestampNs).AppendValue(value.AsString).EndRow();
                break;
        }
    }

    public void AppendFloat(int seriesId, long timestampNs, double value)
    {
        Rows++;
        (_float ??= new ChunkAppender(connection, SampleTables.Float.RecentName, floatValues: true)).Append(seriesId, timestampNs, value);
    }

    public void AppendInteger(int seriesId, long timestampNs, long value)
    {
        Rows++;
        (_integer ??= new ChunkAppender(connection, SampleTables.Integer.RecentName, floatValues: false)).Append(seriesId, timestampNs, value);
    }

    public void AppendSeries(IReadOnlyList<SeriesInfo> series)
    {
        using var appender = connection.CreateAppender("series");
        foreach (var item in series)
        {
            appender.CreateRow()
                .AppendValue(item.Id)
                .AppendValue(item.Measurement)
                .AppendValue(SeriesKey.EncodeTags(item.Tags))
                .AppendValue(item.Field)
                .AppendValue((byte)item.Kind)
                .EndRow();
        }
    }

    private static void CloseAndForget(ref DuckDBAppender? appender)
    {
        if (appender is not null)
        {
            var closing = appender;
            appender = null;
            closing.Dispose();
        }
    }

    public void Dispose()
    {
        _float?.Dispose();
        _integer?.Dispose();
        _unsigned?.Dispose();
        _text?.Dispose();
    }
}
