using DuckDB.NET.Data;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// The appenders of one commit, opened on first use: one per recent-tier samples table and one
/// for the rollup partials of both levels. Disposing flushes them into the connection's open transaction; the caller commits.
/// </summary>
internal sealed class SampleAppenders(DuckDBConnection connection) : IDisposable
{
    private ChunkAppender? _float;
    private ChunkAppender? _integer;
    private DuckDBAppender? _unsigned;
    private DuckDBAppender? _text;
    private DuckDBAppender? _rollups;

    public long Rows { get; private set; }

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

    public void AppendRollup(bool hour, int seriesId, in RollupPartial partial)
    {
        (_rollups ??= connection.CreateAppender(Schema.RollupRecent)).CreateRow()
            .AppendValue((byte)(hour ? 1 : 0))
            .AppendValue(seriesId)
            .AppendValue(partial.Bucket)
            .AppendValue(partial.Min)
            .AppendValue(partial.Max)
            .AppendValue(partial.Sum)
            .AppendValue(partial.Count)
            .AppendValue(partial.LastTs)
            .AppendValue(partial.Last)
            .EndRow();
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

    public void Dispose()
    {
        _float?.Dispose();
        _integer?.Dispose();
        _unsigned?.Dispose();
        _text?.Dispose();
        _rollups?.Dispose();
    }
}
