using IotHub.Telemetry;

namespace IotHub.Storage;

/// <summary>
/// The decisions the store makes about a write before it is acknowledged through the ingest log:
/// field type conflicts and the series limit per device (as <see cref="DuckDbStore"/> decides
/// them when it commits, on the same series in the same order, so a logged write is never
/// refused later), and replayed uplink batches. Not thread-safe: the store calls it under the
/// lock that also orders the log's appends.
/// </summary>
internal sealed class SeriesAdmission
{
    private readonly Dictionary<string, FieldKind> _kinds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _seriesPerDevice = new(StringComparer.Ordinal);

    // Newest admitted batch per device and where its record ends in the log.
    private readonly Dictionary<string, (ulong Sequence, long End)> _batches = new(StringComparer.Ordinal);
    private readonly int _maxSeriesPerDevice;
    private readonly List<string> _created = [];

    /// <summary>Starts from the series the store has (after the log's tail was applied).</summary>
    public SeriesAdmission(IEnumerable<SeriesInfo> series, int maxSeriesPerDevice)
    {
        _maxSeriesPerDevice = maxSeriesPerDevice;
        foreach (var info in series)
        {
            _kinds[SeriesKey.Create(info.Measurement, info.Tags, info.Field)] = info.Kind;
            if (info.Device is { } device)
            {
                _seriesPerDevice[device] = _seriesPerDevice.GetValueOrDefault(device) + 1;
            }
        }
    }

    /// <summary>The refusal of a field whose series has another type.</summary>
    public static WriteRefusedException TypeConflict(string measurement, string field, FieldKind seriesKind, FieldKind kind) => new(
        WriteRefusal.FieldTypeConflict,
        $"Field '{field}' of measurement '{measurement}' is {seriesKind}, not {kind}. A series keeps the type of its first write; nothing of this write was stored.");

    /// <summary>The refusal of a series one more than a device may have.</summary>
    public static WriteRefusedException TooManySeries(string device, int count, string measurement, string field) => new(
        WriteRefusal.TooManySeries,
        $"Device '{device}' has {count} series, the limit (Storage:MaxSeriesPerDevice); the series of field '{field}' of measurement '{measurement}' with these tags would be one more. Nothing of this write was stored.");

    /// <summary>
    /// When the batch (or a later one of its device) was admitted before, returns true and where
    /// that record ends in the log (0 when it is only in the store).
    /// </summary>
    public bool IsReplay(UplinkBatch batch, ulong storedSequence, out long end)
    {
        end = 0;
        var admitted = _batches.TryGetValue(batch.Device, out var last) ? last.Sequence : 0;
        if (batch.Sequence > Math.Max(admitted, storedSequence))
        {
            return false;
        }

        if (batch.Sequence <= admitted)
        {
            end = last.End;
        }

        return true;
    }

    /// <summary>The newest admitted batch sequence of a device and where it ends in the log, if any.</summary>
    public (ulong Sequence, long End)? LastBatch(string device) =>
        _batches.TryGetValue(device, out var last) ? last : null;

    /// <summary>Records a batch whose record was appended to the log.</summary>
    public void AdmitBatch(UplinkBatch batch, long end) => _batches[batch.Device] = (batch.Sequence, end);

    /// <summary>
    /// Finds or creates every column's series, as the store will. On a refusal nothing of the write
    /// is kept (the series it created are forgotten) and the exception says why.
    /// </summary>
    /// <exception cref="WriteRefusedException">A type conflict or a series over the device's limit.</exception>
    public void Admit(IReadOnlyList<SeriesColumns> columns)
    {
        _created.Clear();
        try
        {
            foreach (var column in columns)
            {
                Resolve(column);
            }
        }
        catch (WriteRefusedException)
        {
            foreach (var key in _created)
            {
                _kinds.Remove(key);
            }

            foreach (var column in columns)
            {
                // Undo the counts of the series this write created, found again by key.
                if (_created.Remove(column.Key) && DeviceOf(column.Tags) is { } device)
                {
                    _seriesPerDevice[device]--;
                }
            }

            throw;
        }
    }

    private void Resolve(SeriesColumns column)
    {
        var key = column.Key;
        if (_kinds.TryGetValue(key, out var kind))
        {
            if (kind != column.Kind)
            {
                throw TypeConflict(column.Measurement, column.Field, kind, column.Kind);
            }

            return;
        }

        if (DeviceOf(column.Tags) is { } device)
        {
            var count = _seriesPerDevice.GetValueOrDefault(device);
            if (count >= _maxSeriesPerDevice)
            {
                throw TooManySeries(device, count, column.Measurement, column.Field);
            }

            _seriesPerDevice[device] = count + 1;
        }

        _kinds[key] = column.Kind;
        _created.Add(key);
    }

    private static string? DeviceOf(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        foreach (var tag in tags)
        {
            if (string.Equals(tag.Key, SeriesInfo.DeviceTag, StringComparison.Ordinal))
            {
                return tag.Value;
            }
        }

        return null;
    }
}
