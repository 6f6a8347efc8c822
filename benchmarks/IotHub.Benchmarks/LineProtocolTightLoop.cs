using System.Diagnostics;
using System.Globalization;

namespace IotHub.Benchmarks;

/// <summary>
/// A steadier cross-check of <see cref="LineProtocolBenchmarks"/> on a noisy machine: each
/// benchmark method is called back to back for a number of passes (10 calls of 1,000 lines
/// each) and the best and the median pass are printed in nanoseconds per line. Run with
/// <c>dotnet run -c Release --project benchmarks/IotHub.Benchmarks -- tight [passes [method]]</c>
/// (only the methods whose name contains <c>method</c>, e.g. for a profiler).
/// </summary>
internal static class LineProtocolTightLoop
{
    private const int CallsPerPass = 10;
    private const int LinesPerCall = 1000;

    /// <summary>Runs the loop; <paramref name="passes"/> passes per benchmark method whose name contains <paramref name="only"/>.</summary>
    public static void Run(int passes, string only)
    {
        using var benchmarks = new LineProtocolBenchmarks();
        benchmarks.Setup();
        (string Name, Func<long> Call)[] methods =
        [
            (nameof(LineProtocolBenchmarks.IntegerFields), benchmarks.IntegerFields),
            (nameof(LineProtocolBenchmarks.IntegerFieldsInSpan), benchmarks.IntegerFieldsInSpan),
            (nameof(LineProtocolBenchmarks.FloatFields), benchmarks.FloatFields),
            (nameof(LineProtocolBenchmarks.IntegerFieldsIn4KiBSegments), benchmarks.IntegerFieldsIn4KiBSegments),
            (nameof(LineProtocolBenchmarks.SumBytesOneByOne), benchmarks.SumBytesOneByOne),
        ];
        methods = Array.FindAll(methods, method => method.Name.Contains(only, StringComparison.Ordinal));

        // Warm-up: enough calls for tiered compilation to reach the optimized code.
        foreach (var (_, call) in methods)
        {
            for (var i = 0; i < 2000; i++)
            {
                call();
            }
        }

        foreach (var (name, call) in methods)
        {
            var perLine = new double[passes];
            long check = 0;
            for (var pass = 0; pass < passes; pass++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < CallsPerPass; i++)
                {
                    check += call();
                }

                perLine[pass] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / (CallsPerPass * LinesPerCall);
            }

            Array.Sort(perLine);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} best {perLine[0],7:F1} ns/line  median {perLine[passes / 2],7:F1} ns/line  ({1000 / perLine[0]:F2} M lines/s best; check {check != 0})"));
        }
    }
}
