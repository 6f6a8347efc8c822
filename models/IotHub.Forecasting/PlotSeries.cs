namespace IotHub.Forecasting;

/// <summary>Forecast against actual over a window, for a report plot.</summary>
/// <param name="Title">Plot title.</param>
/// <param name="YLabel">Axis label with unit.</param>
/// <param name="X">Hours from the window's start (or stop number).</param>
/// <param name="XLabel">What <paramref name="X"/> counts.</param>
/// <param name="Actual">What happened.</param>
/// <param name="Forecast">The model's forecast for the same times.</param>
/// <param name="Lower">Lower edge of the prediction interval (or empty).</param>
/// <param name="Upper">Upper edge of the prediction interval (or empty).</param>
/// <param name="Baseline">A baseline's forecast (persistence or historical average).</param>
/// <param name="BaselineName">Its name.</param>
/// <param name="Lines">Horizontal reference lines (thresholds, capacity).</param>
/// <param name="Secondary">Series on a second axis (rain), each with its name, or none.</param>
/// <param name="SecondaryLabel">The second axis's label with unit.</param>
public sealed record PlotSeries(
    string Title,
    string YLabel,
    double[] X,
    string XLabel,
    double[] Actual,
    double[] Forecast,
    double[] Lower,
    double[] Upper,
    double[] Baseline,
    string BaselineName,
    IReadOnlyList<KeyValuePair<string, double>> Lines,
    IReadOnlyList<KeyValuePair<string, double[]>>? Secondary = null,
    string SecondaryLabel = "");
