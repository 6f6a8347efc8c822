using ScottPlot;

namespace IotHub.Forecasting.Cli;

/// <summary>Draws a <see cref="PlotSeries"/> as a small PNG with ScottPlot.</summary>
internal static class PlotWriter
{
    public static bool Write(PlotSeries series, string path)
    {
        try
        {
            Draw(series, path);
            Console.Error.WriteLine($"plot written: {path} ({new FileInfo(path).Length / 1024} KiB)");
            return true;
        }
#pragma warning disable CA1031 // A plot that cannot be drawn must not lose the trained models: report it and go on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"plot {path} not written: {e.Message}");
            return false;
        }
    }

    private static void Draw(PlotSeries series, string path)
    {
        var plot = new Plot();
        if (series.Lower.Length == series.X.Length && series.Upper.Length == series.X.Length && series.X.Length > 0)
        {
            var band = plot.Add.FillY(series.X, series.Lower, series.Upper);
            band.FillColor = Colors.Orange.WithAlpha(0.25);
            band.LineWidth = 0;
            band.LegendText = "80% interval";
        }

        var actual = plot.Add.ScatterLine(series.X, series.Actual);
        actual.Color = Colors.Black;
        actual.LineWidth = 2;
        actual.LegendText = "actual";
        var forecast = plot.Add.ScatterLine(series.X, series.Forecast);
        forecast.Color = Colors.OrangeRed;
        forecast.LineWidth = 2;
        forecast.LegendText = "model";
        if (series.Baseline.Length == series.X.Length)
        {
            var baseline = plot.Add.ScatterLine(series.X, series.Baseline);
            baseline.Color = Colors.SteelBlue;
            baseline.LinePattern = LinePattern.Dashed;
            baseline.LegendText = series.BaselineName;
        }

        // Threshold lines are labelled where they start, just above the line; the legend sits outside the data area so it hides none of them.
        double left = series.X.Length > 0 ? series.X.Min() : 0;
        foreach (var line in series.Lines)
        {
            var h = plot.Add.HorizontalLine(line.Value);
            h.Color = Colors.Gray;
            h.LinePattern = LinePattern.Dotted;
            h.LineWidth = 1;
            var label = plot.Add.Text(line.Key + " " + line.Value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), left, line.Value);
            label.LabelFontSize = 11;
            label.LabelFontColor = Colors.DimGray;
            label.LabelAlignment = Alignment.LowerLeft;
        }

        // Rain on the right axis, as steps below the levels.
        var rainColours = new[] { Colors.SteelBlue.WithAlpha(0.6), Colors.MediumPurple, Colors.SeaGreen };
        int colour = 0;
        foreach (var rain in series.Secondary ?? [])
        {
            var line = plot.Add.ScatterLine(series.X, rain.Value);
            line.ConnectStyle = ConnectStyle.StepVertical;
            line.Axes.YAxis = plot.Axes.Right;
            line.Color = rainColours[colour++ % rainColours.Length];
            line.LineWidth = 1.5f;
            line.LegendText = rain.Key;
        }

        if (series.Secondary is { Count: > 0 })
        {
            plot.Axes.Right.Label.Text = series.SecondaryLabel;
        }

        plot.Title(series.Title, size: 12);
        plot.XLabel(series.XLabel);
        plot.YLabel(series.YLabel);
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, 1200, 440);
    }
}
