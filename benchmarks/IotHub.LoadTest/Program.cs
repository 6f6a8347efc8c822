using System.CommandLine;
using IotHub.LoadTest;

var url = new Option<string>("--url") { Description = "Write URL, e.g. http://127.0.0.1:8080/api/v2/write?bucket=b", Required = true };
var token = new Option<string?>("--token") { Description = "Authorization: Token <token> (the hub's admin token)" };
var clients = new Option<int>("--clients") { DefaultValueFactory = _ => 8, Description = "Concurrent writers" };
var batches = new Option<int>("--batches") { DefaultValueFactory = _ => 50, Description = "Requests per writer" };
var lines = new Option<int>("--lines") { DefaultValueFactory = _ => 5000, Description = "Points per request" };
var firstDetector = new Option<int>("--first-detector") { DefaultValueFactory = _ => 0, Description = "Writer n writes detector d<first+n>: give a warm-up run other detectors, so the measured run's older timestamps are not late writes into its series" };
var http = new Command("http", "InfluxDB-compatible HTTP write load (hub or VictoriaMetrics)") { url, token, clients, batches, lines, firstDetector };
http.SetAction(p => HttpLoad.RunAsync(new Uri(p.GetValue(url)!), p.GetValue(token), p.GetValue(clients), p.GetValue(batches), p.GetValue(lines), p.GetValue(firstDetector), Console.Out));

var rate = new Option<double>("--rate") { Required = true, Description = "Offered points/s (open loop: requests go out on schedule whether or not earlier ones were answered)" };
var seconds = new Option<int>("--seconds") { DefaultValueFactory = _ => 60, Description = "How long to offer the rate" };
var maxInFlight = new Option<int>("--max-in-flight") { DefaultValueFactory = _ => 256, Description = "Requests in flight at most; beyond it the client falls behind its schedule (counted)" };
var verify = new Option<string?>("--verify-api") { Description = "The hub's HTTP base URL: afterwards, count the points of every series there and check each acknowledged point is stored" };
var openLines = new Option<int>("--lines") { DefaultValueFactory = _ => 1000, Description = "Points per request" };
var httpOpen = new Command("http-open", "Open-loop HTTP write load at a fixed offered rate (overload runs)") { url, token, rate, seconds, openLines, maxInFlight, verify };
httpOpen.SetAction(p => HttpOverload.RunAsync(new Uri(p.GetValue(url)!), p.GetValue(token), p.GetValue(verify) is { } v ? new Uri(v) : null, p.GetValue(rate), p.GetValue(seconds), p.GetValue(openLines), p.GetValue(maxInFlight), Console.Out));

var host = new Option<string>("--host") { DefaultValueFactory = _ => "127.0.0.1", Description = "Broker host" };
var port = new Option<int>("--port") { Required = true, Description = "Broker port" };
var hubApi = new Option<string?>("--hub-api") { Description = "The hub's HTTP base URL: devices are registered there and acks mean committed; without it, a plain broker relay to one subscriber is measured" };
var adminToken = new Option<string?>("--admin-token") { Description = "The hub's admin token (with --hub-api)" };
var devices = new Option<int>("--devices") { DefaultValueFactory = _ => 100, Description = "Concurrent devices (MQTT connections)" };
var messages = new Option<int>("--messages") { DefaultValueFactory = _ => 100, Description = "Messages per device" };
var points = new Option<int>("--points-per-message") { DefaultValueFactory = _ => 10, Description = "Line protocol points per message" };
var idPrefix = new Option<string>("--id-prefix") { DefaultValueFactory = _ => "load-det", Description = "Device ids are <prefix>-<n>: use a new prefix per run so runs do not write into each other's series" };
var mqtt = new Command("mqtt", "MQTT 5 QoS 1 publish load (hub ingest, or broker publish -> subscriber relay)") { host, port, hubApi, adminToken, devices, messages, points, idPrefix };
mqtt.SetAction(p => MqttLoad.RunAsync(p.GetValue(host)!, p.GetValue(port), p.GetValue(hubApi) is { } api ? new Uri(api) : null, p.GetValue(adminToken), p.GetValue(devices), p.GetValue(messages), p.GetValue(points), p.GetValue(idPrefix)!, Console.Out));

return await new RootCommand("IotHub load runs: the same data and client against the hub and its peers") { http, httpOpen, mqtt }.Parse(args).InvokeAsync();
