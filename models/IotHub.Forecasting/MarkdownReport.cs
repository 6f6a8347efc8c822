using System.Globalization;
using System.Text;

namespace IotHub.Forecasting;

/// <summary>Builds the training report: tables of held-out scores beside the baselines, plots, and notes.</summary>
internal sealed class MarkdownReport
{
    private readonly StringBuilder _text = new();

    public MarkdownReport(string title) => _text.Append("# ").AppendLine(title).AppendLine();

    public MarkdownReport Heading(string heading)
    {
        _text.Append("## ").AppendLine(heading).AppendLine();
        return this;
    }

    public MarkdownReport Paragraph(string text)
    {
        _text.AppendLine(text).AppendLine();
        return this;
    }

    public MarkdownReport Image(string alt, string file)
    {
        _text.Append("![").Append(alt).Append("](").Append(file).AppendLine(")").AppendLine();
        return this;
    }

    /// <summary>A table of MAE, RMSE and NSE per horizon for the model and both baselines.</summary>
    public MarkdownReport Scores(IEnumerable<HorizonScores> scores, string unit)
    {
        _text.AppendLine(Invariant($"| target | subset | horizon | n | model MAE | model RMSE | model NSE | persistence MAE | persistence RMSE | persistence NSE | hist. avg MAE | hist. avg RMSE | hist. avg NSE | RMSE / persistence | MAE / hist. avg |"));
        _text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in scores)
        {
            _text.AppendLine(Invariant(
                $"| {s.Target} ({unit}) | {s.Subset} | {s.HorizonMinutes} min | {s.Model.Count} | {F(s.Model.Mae)} | {F(s.Model.Rmse)} | {F(s.Model.Nse)} | {F(s.Persistence.Mae)} | {F(s.Persistence.Rmse)} | {F(s.Persistence.Nse)} | {F(s.HistoricalAverage.Mae)} | {F(s.HistoricalAverage.Rmse)} | {F(s.HistoricalAverage.Nse)} | {F(s.Model.Rmse / s.Persistence.Rmse)} | {F(s.Model.Mae / s.HistoricalAverage.Mae)} |"));
        }

        _text.AppendLine();
        return this;
    }

    public MarkdownReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _text.Append("| ").AppendJoin(" | ", header).AppendLine(" |");
        _text.Append('|').AppendJoin("|", header.Select(_ => " --- ")).AppendLine("|");
        foreach (var row in rows)
        {
            _text.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }

        _text.AppendLine();
        return this;
    }

    public override string ToString() => _text.ToString();

    public static string F(double value) =>
        double.IsNaN(value) ? "-" : value.ToString(Math.Abs(value) >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture);

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
