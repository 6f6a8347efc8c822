namespace IotHub.Forecasting;

/// <summary>Rows for one model: features, label, uncertainty bin and a time key (rows are split by time, never at random).</summary>
internal sealed class TrainingRows
{
    public List<float[]> Features { get; } = [];

    public List<float> Labels { get; } = [];

    public List<int> Bins { get; } = [];

    public List<long> Times { get; } = [];

    public int Count => Labels.Count;

    public void Add(float[] features, double label, int bin, long time)
    {
        Features.Add(features);
        Labels.Add((float)label);
        Bins.Add(bin);
        Times.Add(time);
    }

    /// <summary>For each row, which of <paramref name="blocks"/> equal spans of the rows' time it falls in (0 the earliest).</summary>
    public int[] TimeBlocks(int blocks)
    {
        long min = Times.Count > 0 ? Times.Min() : 0;
        long max = Times.Count > 0 ? Times.Max() : 0;
        double span = Math.Max(1, max - min + 1);
        return [.. Times.Select(t => Math.Min(blocks - 1, (int)((t - min) / span * blocks)))];
    }

    /// <summary>The earlier <paramref name="fitShare"/> of the time span to fit on, the rest to calibrate the intervals on.</summary>
    public (List<float[]> FitX, List<float> FitY, List<float[]> CalX, List<float> CalY, List<int> CalBin) SplitForCalibration(double fitShare)
    {
        long min = long.MaxValue, max = long.MinValue;
        foreach (long t in Times)
        {
            min = Math.Min(min, t);
            max = Math.Max(max, t);
        }

        long cut = min + (long)((max - min) * fitShare);
        var fitX = new List<float[]>();
        var fitY = new List<float>();
        var calX = new List<float[]>();
        var calY = new List<float>();
        var calBin = new List<int>();
        for (int i = 0; i < Count; i++)
        {
            if (Times[i] <= cut)
            {
                fitX.Add(Features[i]);
                fitY.Add(Labels[i]);
            }
            else
            {
                calX.Add(Features[i]);
                calY.Add(Labels[i]);
                calBin.Add(Bins[i]);
            }
        }

        return (fitX, fitY, calX, calY, calBin);
    }
}
