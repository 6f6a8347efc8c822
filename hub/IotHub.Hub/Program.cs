using System.CommandLine;
using IotHub.Hub;

var dataOption = new Option<string>("--data")
{
    Description = "Folder for the store, device registry, admin.json and endpoints.json",
    DefaultValueFactory = _ => "data",
};
var httpOption = new Option<int>("--http")
{
    Description = "HTTP port for the API and dashboard on 127.0.0.1 (0 = any free port)",
    DefaultValueFactory = _ => 8080,
};
var mqttOption = new Option<int>("--mqtt")
{
    Description = "MQTT port on 127.0.0.1 (0 = any free port)",
    DefaultValueFactory = _ => 1883,
};
var tcpOption = new Option<int>("--tcp")
{
    Description = "TCP line protocol port on 127.0.0.1, as Telegraf's socket_writer expects (0 = any free port, -1 = off)",
    DefaultValueFactory = _ => 8094,
};
var grpcOption = new Option<int>("--grpc")
{
    Description = "gRPC ingest port on 127.0.0.1, HTTP/2 (0 = any free port, -1 = off)",
    DefaultValueFactory = _ => 8081,
};
var adminTokenOption = new Option<string?>("--admin-token")
{
    Description = "Admin token for the HTTP API (16+ characters); default: the one in admin.json, generated on first start",
};
var mqttsOption = new Option<int>("--mqtts")
{
    Description = "MQTT-over-TLS port on 127.0.0.1, used when --tls-cert is given (0 = any free port)",
    DefaultValueFactory = _ => 8883,
};
var grpcsOption = new Option<int>("--grpcs")
{
    Description = "gRPC ingest over TLS on 127.0.0.1, used when --tls-cert is given (0 = any free port, -1 = off)",
    DefaultValueFactory = _ => -1,
};
var tlsCertOption = new Option<string?>("--tls-cert")
{
    Description = "Server certificate for MQTT over TLS: a PEM file (with the key, or see --tls-key) or a PKCS#12 file; no certificate = no TLS listener",
};
var tlsKeyOption = new Option<string?>("--tls-key")
{
    Description = "PEM private key of --tls-cert, when it is not in the certificate file",
};
var seedOption = new Option<int>("--seed")
{
    Description = "Seed of the simulated city (the same seed gives the same city)",
    DefaultValueFactory = _ => 42,
};

foreach (var optional in new[] { tcpOption, grpcOption, grpcsOption })
{
    optional.Validators.Add(result =>
    {
        var value = result.GetValueOrDefault<int>();
        if (value is < -1 or > 65535)
        {
            result.AddError($"{result.Option.Name} must be a port number 0..65535, or -1 for off; was {value}.");
        }
    });
}

foreach (var port in new[] { httpOption, mqttOption, mqttsOption })
{
    port.Validators.Add(result =>
    {
        var value = result.GetValueOrDefault<int>();
        if (value is < 0 or > 65535)
        {
            result.AddError($"{result.Option.Name} must be a port number 0..65535, was {value}.");
        }
    });
}

var serve = new Command("serve", "Run the hub: MQTT broker, ingest, store and HTTP API");
var demo = new Command("demo", "Run the hub with a simulated city (devices of every kind publishing over MQTT)");
foreach (var command in new[] { serve, demo })
{
    command.Options.Add(dataOption);
    command.Options.Add(httpOption);
    command.Options.Add(mqttOption);
    command.Options.Add(tcpOption);
    command.Options.Add(grpcOption);
    command.Options.Add(adminTokenOption);
    command.Options.Add(mqttsOption);
    command.Options.Add(grpcsOption);
    command.Options.Add(tlsCertOption);
    command.Options.Add(tlsKeyOption);
}

demo.Options.Add(seedOption);

serve.SetAction(parse => Run(parse, isDemo: false));
demo.SetAction(parse => Run(parse, isDemo: true));

var root = new RootCommand("IotHub: smart-city IoT and edge data hub") { serve, demo };
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

async Task<int> Run(ParseResult parse, bool isDemo)
{
    var settings = new HubSettings(
        parse.GetValue(dataOption)!,
        parse.GetValue(httpOption),
        parse.GetValue(mqttOption),
        parse.GetValue(adminTokenOption),
        isDemo,
        isDemo ? parse.GetValue(seedOption) : 0,
        parse.GetValue(tcpOption) is var tcp && tcp >= 0 ? tcp : null,
        parse.GetValue(grpcOption) is var grpc && grpc >= 0 ? grpc : null,
        parse.GetValue(tlsCertOption) is { } cert ? new HubTls(parse.GetValue(mqttsOption), cert, parse.GetValue(tlsKeyOption), parse.GetValue(grpcsOption) is var grpcs && grpcs >= 0 ? grpcs : null) : null);
    if (settings.Tls is null && parse.GetValue(tlsKeyOption) is not null)
    {
        await Console.Error.WriteLineAsync("error: --tls-key needs --tls-cert.");
        return 2;
    }

    try
    {
        return await HubServer.RunAsync(settings, Console.Out);
    }
    catch (Exception ex) when (ex is ArgumentException or InvalidDataException or UnauthorizedAccessException)
    {
        await Console.Error.WriteLineAsync($"error: {ex.Message}");
        return 2;
    }
}
