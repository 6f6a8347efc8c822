namespace IotHub.Forecasting;

/// <summary>One rolling origin of a backtest: train on rows [TrainFrom, TrainTo), forecast from origins in [TestFrom, TestTo).</summary>
internal readonly record struct Fold(int TrainFrom, int TrainTo, int TestFrom, int TestTo)
{
    /// <summary>
    /// <paramref name="count"/> folds with a training window of <paramref name="trainRows"/> sliding by
    /// <paramref name="testRows"/>, the last fold ending at <paramref name="totalRows"/>.
    /// </summary>
    public static Fold[] Rolling(int totalRows, int trainRows, int testRows, int count)
    {
        var folds = new Fold[count];
        for (int k = 0; k < count; k++)
        {
            int testTo = totalRows - ((count - 1 - k) * testRows);
            int testFrom = testTo - testRows;
            folds[k] = new Fold(Math.Max(0, testFrom - trainRows), testFrom, testFrom, testTo);
        }

        return folds;
    }
}
