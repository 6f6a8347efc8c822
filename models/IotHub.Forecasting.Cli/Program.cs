using System.CommandLine;
using IotHub.Forecasting.Cli;

var daysOption = new Option<int>("--days") { Description = "Days of simulated history each model trains on.", DefaultValueFactory = _ => 90 };
var foldsOption = new Option<int>("--folds") { Description = "Rolling origins of the backtest.", DefaultValueFactory = _ => 3 };
var testDaysOption = new Option<int>("--test-days") { Description = "Held-out days per rolling origin.", DefaultValueFactory = _ => 20 };
var seedOption = new Option<int>("--seed") { Description = "Simulator seed.", DefaultValueFactory = _ => 7 };
var outOption = new Option<string>("--out") { Description = "Folder for the model files.", DefaultValueFactory = _ => "models/out" };
var reportOption = new Option<string>("--report") { Description = "Folder for the markdown report and its plots.", DefaultValueFactory = _ => "models/report" };
var csvOption = new Option<string?>("--csv") { Description = "Train and backtest on a CSV of real history instead of the simulated city." };
var targetOption = new Option<string?>("--target") { Description = "The CSV column to forecast." };
var onlyOption = new Option<string?>("--only") { Description = "Comma-separated parts of the city to train: nowcast (verification of the rain nowcast), rivers, sewers, traffic, signals, crowding (default: all)." };
var nowcastOption = new Option<string>("--nowcast") { Description = "Diagnostics only: the radar rain nowcast the simulated gauges relay: calibrated (default), perfect-tracking (no motion or intensity error) or none.", DefaultValueFactory = _ => "calibrated" };
var calmBinsOption = new Option<bool>("--calm-bins") { Description = "Diagnostics only: river residual percentiles as before the warning diagnosis (last 15 % of the window, per uncertainty bin only)." };
var trainerOption = new Option<string>("--trainer") { Description = "auto, lightgbm or fasttree.", DefaultValueFactory = _ => "auto" };

var root = new RootCommand("Trains every IotHub forecast model, backtests it against persistence and the historical average, and writes model files and a report.")
{
    daysOption, foldsOption, testDaysOption, seedOption, outOption, reportOption, csvOption, targetOption, onlyOption, trainerOption, nowcastOption, calmBinsOption,
};
root.SetAction(result => TrainCommand.Run(new TrainCommandOptions(
    result.GetValue(daysOption),
    result.GetValue(foldsOption),
    result.GetValue(testDaysOption),
    result.GetValue(seedOption),
    result.GetValue(outOption)!,
    result.GetValue(reportOption)!,
    result.GetValue(csvOption),
    result.GetValue(targetOption),
    result.GetValue(onlyOption),
    result.GetValue(trainerOption)!,
    result.GetValue(nowcastOption)!,
    result.GetValue(calmBinsOption))));
return root.Parse(args).Invoke();
