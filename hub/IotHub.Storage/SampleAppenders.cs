using DuckDB.NET.Data;
using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// The appenders of one commit, opened on first use. Disposing flushes them into the
/// connection's open transaction; the caller commits.
/// </summary>
internal sealed class SampleAppenders(DuckDBConnection connection) : IDisposable
{
    private DuckDBAppender? _float;
    private DuckDBAppender? _integer;
    private DuckDBAppender? _unsigned;
    private DuckDBAppender? _text;

    public void Append(SeriesInfo series, long timestampNs, in FieldValue value)
    {
        switch (value.Kind)
        {
            case FieldKind.Float:
                (_float ??= connection.CreateAppender(SampleTables.Float.Name)).CreateRow()
                    .AppendValue(series.Id).AppendValue(timestampNs).AppendValue(value.AsFloat).EndRow();
                break;
            case FieldKind.Integer:
                (_integer ??= connection.CreateAppender(SampleTables.Integer.Name)).CreateRow()
                    .AppendValue(series.Id).AppendValue(timestampNs).AppendValue(value.AsInteger).EndRow();
                break;
            case FieldKind.Boolean:
                (_integer ??= connection.CreateAppender(SampleTables.Integer.Name)).CreateRow()
                    .AppendValue(series.Id).AppendValue(timestampNs).AppendValue(value.AsBoolean ? 1L : 0L).EndRow();
                break;
            case FieldKind.UInteger:
                (_unsigned ??= connection.CreateAppender(SampleTables.UInteger.Name)).CreateRow()
                    .AppendValue(series.Id).AppendValue(timestampNs).AppendValue(value.AsUInteger).EndRow();
                break;
            default:
                (_text ??= connection.CreateAppender(SampleTables.Text.Name)).CreateRow()
                    .AppendValue(series.Id).AppendValue(timestampNs).AppendValue(value.AsString).EndRow();
                break;
        }
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
    }
}
