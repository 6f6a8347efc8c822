using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace IotHub.Edge;

/// <summary>
/// The agent executable: <c>run</c> samples, queues and sends until stopped (Ctrl-C / SIGTERM);
/// <c>run --drain</c> sends the queued backlog and exits; <c>backlog</c> fills the queue with the
/// readings an outage of a given length would have left (for drills and replay benchmarks).
/// Bad configuration prints one <c>error:</c> line and exits with <see cref="ConfigurationError"/>.
/// </summary>
public static class EdgeProgram
{
    /// <summary>Exit code for configuration that cannot work (the message says why).</summary>
    public const int ConfigurationError = 2;

    /// <summary>Entry point.</summary>
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs the command line with the given writers (tests run it in-process).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var configOption = new Option<string>("--config")
        {
            Description = "The agent's JSON config file: hub URL, queue, devices (id, kind, token), intervals, thresholds",
            Required = true,
        };
        var queueOption = new Option<string?>("--queue") { Description = "Disk queue file (overrides queue.path of the config file)" };
        var drainOption = new Option<bool>("--drain") { Description = "Do not sample: send the queued readings and exit when the queue is empty" };
        var verboseOption = new Option<bool>("--verbose") { Description = "Log connection attempts and other details" };
        var uplinkOption = new Option<string?>("--uplink") { Description = "mqtt or grpc (overrides uplink.protocol of the config file; grpc needs grpcHub there)" };
        var durationOption = new Option<double>("--duration") { Description = "Length of the simulated outage, seconds", DefaultValueFactory = _ => 3600 };
        var intervalOption = new Option<double>("--interval") { Description = "Sampling interval of every device during the outage, seconds", DefaultValueFactory = _ => 10 };

        var run = new Command("run", "Run the agent: sample the devices, apply local rules, queue every reading on disk and send it to the hub");
        run.Options.Add(configOption);
        run.Options.Add(queueOption);
        run.Options.Add(drainOption);
        run.Options.Add(verboseOption);
        run.Options.Add(uplinkOption);
        run.SetAction((parse, cancellationToken) => RunAgentAsync(
            new RunArguments(parse.GetValue(configOption)!, parse.GetValue(queueOption), parse.GetValue(uplinkOption), parse.GetValue(drainOption), parse.GetValue(verboseOption)), output, error, cancellationToken));

        var backlog = new Command("backlog", "Fill the disk queue with the readings an outage would leave (simulated past readings, not sent)");
        backlog.Options.Add(configOption);
        backlog.Options.Add(queueOption);
        backlog.Options.Add(durationOption);
        backlog.Options.Add(intervalOption);
        backlog.SetAction(parse => FillBacklog(
            parse.GetValue(configOption)!, parse.GetValue(queueOption), parse.GetValue(durationOption), parse.GetValue(intervalOption), output, error));

        var root = new RootCommand("IotHub edge agent: store-and-forward telemetry with adaptive sampling and local rules") { run, backlog };
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    private static async Task<int> RunAgentAsync(RunArguments arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var drain = arguments.Drain;
        var logger = new ConsoleLineLogger(error, arguments.Verbose ? LogLevel.Debug : LogLevel.Information, time);
        EdgeAgent agent;
        AgentConfigFile.AgentSetup setup;
        try
        {
            setup = AgentConfigFile.Load(arguments.ConfigPath, arguments.QueuePath, time.GetUtcNow());
            setup.Options.Sample = !drain;
            if (arguments.Uplink is { } uplink)
            {
                setup.Options.Uplink = AgentConfigFile.ParseUplink(uplink, "--uplink");
            }

            agent = new EdgeAgent(setup.Options, setup.Devices, time, logger);
        }
        catch (EdgeConfigurationException ex)
        {
            return Fail(error, ex.Message);
        }

        await using (agent)
        {
            if (await ProbeHubAsync(setup.Options, cancellationToken) is { } unreachable)
            {
                if (!agent.Queue.HasReachedHub)
                {
                    return Fail(error, $"{unreachable}. The first start of an agent must reach the hub to check its configuration; later starts work offline and queue readings.");
                }

                error.WriteLine($"warning: {unreachable}; queueing readings in {agent.Queue.Path} until it is back");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"IotHub edge agent: {setup.Devices.Count} devices, hub {setup.Options.UplinkUrl}, queue {agent.Queue.Path} ({agent.Queue.Depth} readings waiting)"));
            output.Flush();
            if (drain)
            {
                var backlog = agent.Queue.Depth;
                var stopwatch = Stopwatch.StartNew();
                await agent.DrainAsync(cancellationToken);
                var seconds = stopwatch.Elapsed.TotalSeconds;
                var sent = backlog - agent.Queue.Depth;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"drained {sent} readings in {seconds:0.000} s: {sent / Math.Max(seconds, 1e-9):0} readings/s; {agent.Queue.Depth} left, {agent.Health().Sum(h => h.Queue.Rejected)} rejected"));
                return agent.Queue.Depth == 0 ? 0 : 1;
            }

            await agent.RunAsync(cancellationToken);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped; {agent.Queue.Depth} readings wait in the queue"));
            return 0;
        }
    }

    private static int FillBacklog(string configPath, string? queuePath, double durationSeconds, double intervalSeconds, TextWriter output, TextWriter error)
    {
        if (!(durationSeconds > 0) || !(intervalSeconds >= 0.1))
        {
            return Fail(error, "--duration must be positive and --interval at least 0.1 s");
        }

        var end = TimeProvider.System.GetUtcNow();
        var clock = new SteppedTimeProvider(end - TimeSpan.FromSeconds(durationSeconds));
        var logger = new ConsoleLineLogger(error, LogLevel.Warning, clock);
        try
        {
            var setup = AgentConfigFile.Load(configPath, queuePath, clock.Now);
            var interval = TimeSpan.FromSeconds(intervalSeconds);
            var devices = setup.Devices.Select(d => d with { Settings = d.Settings with { NormalInterval = interval, FastInterval = interval } }).ToList();
            var stopwatch = Stopwatch.StartNew();
            long readings = 0;
            var agent = new EdgeAgent(setup.Options, devices, clock, logger);
            try
            {
                for (; clock.Now <= end; clock.Now += interval)
                {
                    readings += agent.SampleDue();
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"queued {readings} readings of {devices.Count} devices ({durationSeconds:0} s at {intervalSeconds:0.###} s) in {stopwatch.Elapsed.TotalSeconds:0.0} s; queue {agent.Queue.Depth} readings, {agent.Queue.Bytes / 1048576.0:0.0} MiB, {agent.Queue.DroppedTotal} dropped"));
            }
            finally
            {
                agent.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            return 0;
        }
        catch (EdgeConfigurationException ex)
        {
            return Fail(error, ex.Message);
        }
    }

    /// <summary>Resolves the hub's host and opens a TCP connection to it; the reason it failed, or <c>null</c>.</summary>
    private static async Task<string?> ProbeHubAsync(EdgeAgentOptions options, CancellationToken cancellationToken)
    {
        var hub = options.UplinkUrl;
        var (host, port) = options.Uplink == UplinkProtocol.Grpc ? (options.GrpcHub!.Host, options.GrpcHub.Port) : (options.Host, options.Port);
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var address) ? [address] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException ex)
        {
            return $"cannot reach the hub at {hub}: host '{host}' cannot be resolved ({ex.SocketErrorCode})";
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(addresses, port, timeout.Token);
            return null;
        }
        catch (SocketException ex)
        {
            return $"cannot reach the hub at {hub}: {ex.SocketErrorCode}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"cannot reach the hub at {hub}: no answer within {options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }
    }

    private sealed record RunArguments(string ConfigPath, string? QueuePath, string? Uplink, bool Drain, bool Verbose);

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine("error: " + message);
        error.Flush();
        return ConfigurationError;
    }
}
