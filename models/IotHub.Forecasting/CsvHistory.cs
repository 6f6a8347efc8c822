using System.Globalization;

namespace IotHub.Forecasting;

/// <summary>
/// Reads a CSV of real history: a header row, the first column a timestamp (ISO 8601 date or date
/// and time), the others numbers (empty or unparsable cells are missing). Rows are placed on a
/// regular grid whose step is the most common spacing (hourly, daily, ...).
/// </summary>
public static class CsvHistory
{
    /// <summary>Loads <paramref name="path"/> into a frame.</summary>
    public static SeriesFrame Load(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length < 3)
        {
            throw new InvalidDataException($"{path}: a header and at least two rows are needed.");
        }

        var header = lines[0].Split(',').Select(h => h.Trim().Trim('"')).ToArray();
        var times = new List<DateTimeOffset>();
        var values = new List<double[]>();
        for (int n = 1; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n]))
            {
                continue;
            }

            var cells = lines[n].Split(',');
            if (!DateTimeOffset.TryParse(cells[0].Trim().Trim('"'), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                throw new InvalidDataException($"{path} line {n + 1}: '{cells[0]}' is not a timestamp.");
            }

            var row = new double[header.Length - 1];
            for (int c = 1; c < header.Length; c++)
            {
                row[c - 1] = c < cells.Length && double.TryParse(cells[c].Trim().Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
            }

            times.Add(time);
            values.Add(row);
        }

        var order = Enumerable.Range(0, times.Count).OrderBy(i => times[i]).ToArray();
        var gaps = new List<long>();
        for (int i = 1; i < order.Length; i++)
        {
            gaps.Add((times[order[i]] - times[order[i - 1]]).Ticks);
        }

        long step = gaps.Where(g => g > 0).GroupBy(g => g).OrderByDescending(g => g.Count()).First().Key;
        var start = times[order[0]];
        int length = (int)((times[order[^1]] - start).Ticks / step) + 1;
        var frame = new SeriesFrame(start, TimeSpan.FromTicks(step), length);
        var columns = new double[header.Length - 1][];
        for (int c = 1; c < header.Length; c++)
        {
            columns[c - 1] = frame.AddColumn(header[c]);
        }

        foreach (int i in order)
        {
            int index = (int)((times[i] - start).Ticks / step);
            for (int c = 0; c < columns.Length; c++)
            {
                columns[c][index] = values[i][c];
            }
        }

        return frame;
    }
}
