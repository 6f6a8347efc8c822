namespace IotHub.Simulators;

/// <summary>
/// Depth of flow in a circular pipe from its flow as a fraction of full-bore flow (Manning's
/// equation for a part-full circular section), tabulated once and inverted by interpolation.
/// </summary>
internal static class PartFullPipe
{
    // Q/Qfull rises monotonically with depth up to y/D = 0.938 (where it peaks at 1.076).
    private const double MaxDepthRatio = 0.938;
    private const int TableSize = 200;
    private static readonly double[] FlowRatios = BuildTable();

    /// <summary>Depth as a fraction of the diameter for a flow of <paramref name="flowRatio"/> x full-bore.</summary>
    public static double DepthRatio(double flowRatio)
    {
        if (flowRatio <= 0)
        {
            return 0;
        }

        if (flowRatio >= FlowRatios[TableSize])
        {
            return MaxDepthRatio;
        }

        int low = 0, high = TableSize;
        while (high - low > 1)
        {
            int mid = (low + high) >> 1;
            if (FlowRatios[mid] <= flowRatio)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        double fraction = (flowRatio - FlowRatios[low]) / (FlowRatios[high] - FlowRatios[low]);
        return (low + fraction) * MaxDepthRatio / TableSize;
    }

    private static double[] BuildTable()
    {
        var table = new double[TableSize + 1];
        for (int i = 0; i <= TableSize; i++)
        {
            double depth = i * MaxDepthRatio / TableSize;
            double theta = 2 * Math.Acos(1 - (2 * depth));
            double area = (theta - Math.Sin(theta)) / (2 * Math.PI);
            double radius = theta <= 0 ? 0 : 1 - (Math.Sin(theta) / theta);
            table[i] = area * Math.Pow(radius, 2.0 / 3.0);
        }

        return table;
    }
}
