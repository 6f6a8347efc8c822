using System.Diagnostics;
using System.Text;

namespace IotHub.Edge.Tests;

/// <summary>The agent executable (IotHub.Edge.dll next to the tests) as a child process.</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AgentProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static AgentProcess Start(params string[] args)
    {
        var agentDll = AgentDll();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(agentDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the agent");
        var agent = new AgentProcess(process);
        process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>
    /// The agent's own build output: next to the tests its package dependencies (logging) are
    /// folded into the hub's ASP.NET Core framework, which the agent's runtimeconfig does not name.
    /// </summary>
    private static string AgentDll()
    {
        var testDirectory = AppContext.BaseDirectory;
        var candidates = new[]
        {
            testDirectory.Replace($"{Path.DirectorySeparatorChar}IotHub.Edge.Tests{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}IotHub.Edge{Path.DirectorySeparatorChar}", StringComparison.Ordinal),
            testDirectory.Replace($"tests{Path.DirectorySeparatorChar}IotHub.Edge.Tests", $"edge{Path.DirectorySeparatorChar}IotHub.Edge", StringComparison.Ordinal),
        };
        foreach (var candidate in candidates)
        {
            var dll = Path.Combine(candidate, "IotHub.Edge.dll");
            if (!string.Equals(candidate, testDirectory, StringComparison.Ordinal) && File.Exists(dll))
            {
                return dll;
            }
        }

        Assert.Fail($"the agent's build output was not found beside the tests' ({testDirectory}); tried {string.Join(", ", candidates)}");
        return "";
    }

    /// <summary>Kills the process outright (no clean shutdown), as a power cut or OOM kill would.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGINT, as Ctrl-C: the agent stops sampling and disconnects cleanly.</summary>
    public async Task InterruptAsync()
    {
        using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"agent did not exit within {timeout.TotalSeconds:0} s:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
