using System.Globalization;
using System.Text;

namespace IotHub.Forecasting.Tests;

public sealed class CsvTrainingTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "iothub-fc-csv-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Run_HourlyCsv_TrainsBacktestsAndReportsModelAgainstPersistence()
    {
        // Arrange: 40 days of hourly demand with a daily cycle, a slow random walk and temperature driving it.
        Directory.CreateDirectory(_folder);
        string csv = Path.Combine(_folder, "demand.csv");
        var text = new StringBuilder("time,temperature,demand\n");
        var random = new Random(3);
        double level = 100;
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (int i = 0; i < 40 * 24; i++)
        {
            level += (random.NextDouble() - 0.5) * 2;
            double temperature = 10 + (5 * Math.Sin(i * 2 * Math.PI / 24));
            double demand = level + (20 * Math.Sin((i % 24) * 2 * Math.PI / 24)) + (2 * temperature) + random.NextDouble();
            text.Append(CultureInfo.InvariantCulture, $"{start.AddHours(i):O},{temperature:F2},{demand:F2}\n");
        }

        File.WriteAllText(csv, text.ToString());

        // Act
        var results = CsvTraining.Run(csv, "demand", Path.Combine(_folder, "models"), Path.Combine(_folder, "report"), TrainerKind.Auto, null, (_, _) => false);

        // Assert: three horizons, a report with the persistence columns, and a model that beats persistence 6 h ahead.
        Assert.Equal(3, results.Count);
        string report = File.ReadAllText(Path.Combine(_folder, "report", "forecast-report.md"));
        Assert.Contains("persistence MAE", report, StringComparison.Ordinal);
        var card = HorizonModel.Load(Path.Combine(_folder, "models", "csv-demand-6step.json")).Card;
        Assert.True(card.Metrics["model"].Mae < card.Metrics["persistence"].Mae, $"model {card.Metrics["model"].Mae} vs persistence {card.Metrics["persistence"].Mae}");
    }

    [Fact]
    public void Load_DailyRowsOutOfOrderWithGap_PlacesRowsOnTheGrid()
    {
        Directory.CreateDirectory(_folder);
        string csv = Path.Combine(_folder, "daily.csv");
        File.WriteAllText(csv, "date,y\n2025-01-03,3\n2025-01-01,1\n2025-01-02,2\n2025-01-05,5\n");

        var frame = CsvHistory.Load(csv);

        Assert.Equal(TimeSpan.FromDays(1), frame.Step);
        Assert.Equal(5, frame.Length);
        Assert.Equal(1, frame["y"][0]);
        Assert.True(double.IsNaN(frame["y"][3]));
        Assert.Equal(5, frame["y"][4]);
    }
}
