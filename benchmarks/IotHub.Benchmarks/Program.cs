using System.Globalization;
using BenchmarkDotNet.Running;

namespace IotHub.Benchmarks;

/// <summary>
/// Runs the benchmarks chosen on the command line (e.g. <c>--filter '*LineProtocol*'</c>), or,
/// with <c>tight [passes [method]]</c>, the codec's tight-loop cross-check (<see cref="LineProtocolTightLoop"/>).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["tight", ..])
        {
            LineProtocolTightLoop.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300, args.Length > 2 ? args[2] : string.Empty);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
