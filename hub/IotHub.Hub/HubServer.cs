using System.Net;
using System.Text.Json;
using IotHub.Ingest;
using IotHub.Storage;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using MQTTnet.AspNetCore;
using MQTTnet.Server;

namespace IotHub.Hub;

/// <summary>
/// One hub process: Kestrel serving the HTTP API and dashboard on one port and the MQTT broker
/// (MQTTnet on Kestrel's connection pipeline) on another, the store, and in demo mode the
/// simulated city. Runs until the process is asked to stop (Ctrl-C, SIGTERM).
/// </summary>
internal static partial class HubServer
{
    public static async Task<int> RunAsync(HubSettings settings, TextWriter output)
    {
        var dataDirectory = Path.GetFullPath(settings.DataDirectory);
        Directory.CreateDirectory(dataDirectory);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddEnvironmentVariables("IOTHUB_");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        var ingestOptions = new IngestOptions();
        builder.Configuration.GetSection("Ingest").Bind(ingestOptions);
        ingestOptions.Validate();
        var storageOptions = new StorageOptions();
        builder.Configuration.GetSection("Storage").Bind(storageOptions);
        storageOptions.DataDirectory = dataDirectory;
        storageOptions.Validate();

        var admin = new AdminCredentials(AdminTokenFile.Load(dataDirectory, settings.AdminToken));
        var registry = DeviceRegistry.Load(dataDirectory);
        using var certificate = settings.Tls?.LoadCertificate();

        // MQTT runs on Kestrel's transport (System.IO.Pipelines) unless Mqtt:Transport is "sockets",
        // MQTTnet's own socket server, kept so the two can be measured against each other (benchmarks/compare.sh).
        var mqttTransport = builder.Configuration["Mqtt:Transport"] ?? "kestrel";
        if (mqttTransport is not ("kestrel" or "sockets"))
        {
            await output.WriteLineAsync($"error: Mqtt:Transport must be 'kestrel' or 'sockets', was '{mqttTransport}'");
            return 2;
        }

        // Mqtt:Engine "direct" (the default on Kestrel's transport) serves device telemetry sessions with the hub's own
        // packet loop on Kestrel's pipes (MqttDirectConnectionHandler) and hands every other session to MQTTnet;
        // "mqttnet" serves all with MQTTnet (measured slower: benchmarks/RESULTS.md, "MQTT acks from the ingest log's thread").
        var mqttEngine = builder.Configuration["Mqtt:Engine"] ?? (mqttTransport == "sockets" ? "mqttnet" : "direct");
        if (mqttEngine is not ("mqttnet" or "direct") || (mqttEngine == "direct" && mqttTransport != "kestrel"))
        {
            await output.WriteLineAsync($"error: Mqtt:Engine must be 'mqttnet' or 'direct' (direct with Mqtt:Transport 'kestrel'), was '{mqttEngine}'");
            return 2;
        }

        var mqttDirect = mqttEngine == "direct";

        // Mqtt:InlineSockets (direct engine only, default true): the MQTT listener's packet loops run on the
        // socket layer's epoll thread and PUBACKs are sent by the ingest log's thread after its fdatasync
        // (InlineMqttTransport, IngestLogAcks): no thread-pool hop per message.
        var inlineText = builder.Configuration["Mqtt:InlineSockets"] ?? "true";
        if (!bool.TryParse(inlineText, out var mqttInline))
        {
            await output.WriteLineAsync($"error: Mqtt:InlineSockets must be 'true' or 'false', was '{inlineText}'");
            return 2;
        }

        mqttInline &= mqttDirect;
        if (mqttInline)
        {
            // Before any socket is used: .NET reads this once, at its first socket operation.
            InlineMqttTransport.EnableInlineCompletions();
            builder.Services.AddSingleton<IConnectionListenerFactory, InlineMqttTransport>();
        }
        var mqttOnSockets = mqttTransport == "sockets";
        var mqttSocketsPort = mqttOnSockets && settings.MqttPort == 0 ? FreeLoopbackPort() : settings.MqttPort;
        ListenOptions? httpListen = null;
        ListenOptions? mqttsListen = null;
        ListenOptions? grpcsListen = null;
        ListenOptions? mqttListen = null;
        ListenOptions? tcpListen = null;
        ListenOptions? grpcListen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ingestOptions.MaxHttpBodyBytes;
            kestrel.Listen(IPAddress.Loopback, settings.HttpPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                httpListen = listen;
            });
            if (!mqttOnSockets)
            {
                kestrel.Listen(mqttInline ? new InlineEndPoint(IPAddress.Loopback, settings.MqttPort) : new IPEndPoint(IPAddress.Loopback, settings.MqttPort), listen =>
                {
                    UseMqtt(listen, mqttDirect);
                    mqttListen = listen;
                });
            }

            if (settings.Tls is { } tls)
            {
                kestrel.Listen(IPAddress.Loopback, tls.MqttPort, listen =>
                {
                    // TLS first, then MQTT on the decrypted stream (MQTT's registered TLS port is 8883).
                    // No ALPN: Kestrel would offer h2 and http/1.1, and a client offering "mqtt" would then be refused.
                    listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate,
                        OnAuthenticate = (_, ssl) => ssl.ApplicationProtocols = null,
                    });
                    UseMqtt(listen, mqttDirect);
                    mqttsListen = listen;
                });
                if (tls.GrpcPort is { } grpcsPort)
                {
                    kestrel.Listen(IPAddress.Loopback, grpcsPort, listen =>
                    {
                        // gRPC over TLS: HTTP/2 negotiated by ALPN (h2).
                        listen.Protocols = HttpProtocols.Http2;
                        listen.UseHttps(certificate!);
                        grpcsListen = listen;
                    });
                }
            }

            if (settings.GrpcPort is { } grpcPort)
            {
                kestrel.Listen(IPAddress.Loopback, grpcPort, listen =>
                {
                    // gRPC without TLS: HTTP/2 with prior knowledge.
                    listen.Protocols = HttpProtocols.Http2;
                    grpcListen = listen;
                });
            }

            if (settings.TcpPort is { } tcpPort)
            {
                kestrel.Listen(IPAddress.Loopback, tcpPort, listen =>
                {
                    listen.UseConnectionHandler<LineProtocolConnectionHandler>();
                    tcpListen = listen;
                });
            }
        });
        var mqttServices = builder.Services.AddHostedMqttServer(mqtt =>
        {
            mqtt.WithMaxPendingMessagesPerClient(ingestOptions.MaxPendingMessagesPerClient)
                .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropOldestQueuedMessage);
            if (mqttOnSockets)
            {
                mqtt.WithDefaultEndpoint()
                    .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
                    .WithDefaultEndpointBoundIPV6Address(IPAddress.IPv6Loopback)
                    .WithDefaultEndpointPort(mqttSocketsPort)
                    .WithConnectionBacklog(1024);
            }
            else
            {
                mqtt.WithoutDefaultEndpoint();
            }
        });
        if (mqttOnSockets)
        {
            mqttServices.AddMqttTcpServerAdapter();
        }
        else
        {
            mqttServices.AddMqttConnectionHandler().AddConnections();
        }

        var time = TimeProvider.System;
        using var loggerFactory = LoggerFactory.Create(l => l
            .AddConfiguration(builder.Configuration.GetSection("Logging"))
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));
        DuckDbStore store;
        try
        {
            store = await DuckDbStore.OpenAsync(storageOptions, loggerFactory.CreateLogger<DuckDbStore>(), CancellationToken.None);
        }
        catch (DuckDB.NET.Data.DuckDBException ex)
        {
            await output.WriteLineAsync($"error: cannot open the store in {dataDirectory}: {ex.Message}");
            return 2;
        }

        await using (store)
        {
            builder.Services.AddSingleton(time);
            builder.Services.AddSingleton(store);
            builder.Services.AddSingleton(registry);
            builder.Services.AddSingleton(admin);
            builder.Services.AddSingleton(ingestOptions);
            builder.Services.AddSingleton<IngestMetrics>();
            builder.Services.AddSingleton<DeviceRateLimiter>();
            builder.Services.AddSingleton<LatestImages>();
            builder.Services.AddSingleton<TelemetryMapper>();
            builder.Services.AddSingleton<MqttIngest>();
            builder.Services.AddSingleton<MqttDirectConnectionHandler>();
            builder.Services.AddSingleton<LineProtocolIngest>();
            builder.Services.AddSingleton<InfluxWriteHandler>();
            builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = ingestOptions.MaxHttpBodyBytes + 1024);
            builder.Services.AddSingleton<LineProtocolConnectionHandler>();
            Forecasts.ForecastWiring.Add(builder, settings, dataDirectory);

            await using var app = builder.Build();
            app.UseMqttServer(server => app.Services.GetRequiredService<MqttIngest>().Attach(server));
            ApiRoutes.Map(app);

            try
            {
                await app.StartAsync();
            }
            catch (IOException ex)
            {
                await output.WriteLineAsync($"error: cannot listen: {ex.Message}");
                return 2;
            }

            var mqttPort = mqttListen?.IPEndPoint!.Port ?? mqttSocketsPort;
            var endpoints = new HubEndpoints(
                $"http://127.0.0.1:{httpListen!.IPEndPoint!.Port}",
                $"mqtt://127.0.0.1:{mqttPort}",
                $"http://127.0.0.1:{httpListen.IPEndPoint.Port}/",
                tcpListen is null ? null : $"tcp://127.0.0.1:{tcpListen.IPEndPoint!.Port}",
                grpcListen is null ? null : $"http://127.0.0.1:{grpcListen.IPEndPoint!.Port}",
                mqttsListen is null ? null : $"mqtts://127.0.0.1:{mqttsListen.IPEndPoint!.Port}",
                grpcsListen is null ? null : $"https://127.0.0.1:{grpcsListen.IPEndPoint!.Port}");
            // Written whole and renamed into place: whoever waits for the file never reads half of it.
            var endpointsFile = Path.Combine(dataDirectory, "endpoints.json");
            await File.WriteAllTextAsync(
                endpointsFile + ".tmp",
                JsonSerializer.Serialize(new { http = endpoints.Http, mqtt = endpoints.Mqtt, dashboard = endpoints.Dashboard, lineProtocolTcp = endpoints.LineProtocolTcp, grpc = endpoints.Grpc, mqtts = endpoints.Mqtts, grpcs = endpoints.Grpcs }));
            File.Move(endpointsFile + ".tmp", endpointsFile, overwrite: true);

            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            using var demoStop = new CancellationTokenSource();
            Task demo = Task.CompletedTask;
            if (settings.Demo)
            {
                var city = new DemoRunner(registry, dataDirectory, settings.Seed, time, app.Services.GetRequiredService<ILoggerFactory>());
                await city.RegisterDevicesAsync();
                demo = city.RunAsync(mqttPort, demoStop.Token);
            }

            await output.WriteLineAsync($"IotHub {(settings.Demo ? "demo" : "hub")} running; data in {dataDirectory}");
            await output.WriteLineAsync($"  dashboard  {endpoints.Dashboard}#token={admin.Token}");
            await output.WriteLineAsync($"  HTTP API   {endpoints.Http}/api/v1  (Authorization: Token <adminToken from admin.json>)");
            await output.WriteLineAsync($"  MQTT       {endpoints.Mqtt}");
            if (endpoints.Mqtts is not null)
            {
                await output.WriteLineAsync($"  MQTT TLS   {endpoints.Mqtts}  (certificate {certificate!.Subject}, valid until {certificate.NotAfter:yyyy-MM-dd})");
            }

            if (endpoints.Grpcs is not null)
            {
                await output.WriteLineAsync($"  gRPC TLS   {endpoints.Grpcs}  (iothub.v1.TelemetryIngest/Write, HTTP/2 over TLS)");
            }

            if (endpoints.Grpc is not null)
            {
                await output.WriteLineAsync($"  gRPC       {endpoints.Grpc}  (iothub.v1.TelemetryIngest/Write, HTTP/2)");
            }

            if (endpoints.LineProtocolTcp is not null)
            {
                await output.WriteLineAsync($"  TCP        {endpoints.LineProtocolTcp}  (line protocol, Telegraf socket_writer)");
            }

            if (settings.Demo)
            {
                await output.WriteLineAsync($"  devices    {Path.Combine(dataDirectory, "devices.json")}");
            }

            await output.WriteLineAsync("Press Ctrl-C to stop.");

            await WaitForStopAsync(lifetime.ApplicationStopping);
            await output.WriteLineAsync("Stopping...");
            await demoStop.CancelAsync();
            await demo;
            await app.StopAsync();
        }

        await output.WriteLineAsync("Stopped.");
        return 0;
    }

    private static void UseMqtt(ListenOptions listen, bool direct)
    {
        if (direct)
        {
            listen.UseConnectionHandler<MqttDirectConnectionHandler>();
        }
        else
        {
            listen.UseMqtt();
        }
    }

    // MQTTnet's socket server cannot report the port it bound to 0, so one is picked here.
    private static int FreeLoopbackPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static Task WaitForStopAsync(CancellationToken stopping)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stopping.Register(() => stopped.TrySetResult());
        return stopped.Task;
    }
}
