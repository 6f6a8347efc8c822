using System.Buffers;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using IotHub.Ingest;
using IotHub.Storage;
using IotHub.Telemetry;
using IotHub.Telemetry.LineProtocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace IotHub.Benchmarks;

/// <summary>
/// Where the time of an HTTP line protocol write goes, per line: one body of 5,000 traffic
/// detector lines (2 tags, 3 fields, as benchmarks/compare.sh sends) through the stages of
/// ingest, the last one being the whole durable write (<see cref="LineProtocolIngest.WriteAsync"/>,
/// what <c>/api/v2/write</c> calls after reading the body). Every invocation writes later
/// timestamps, so the store sees in-order data as it does from sensors.
/// </summary>
[MemoryDiagnoser]
public class HttpIngestBenchmarks : IDisposable
{
    private const int Lines = 5_000;
    private const long Second = 1_000_000_000;

    private readonly List<int> _timestampOffsets = [];
    private string _directory = "";
    private DuckDbStore _store = null!;
    private LineProtocolIngest _ingest = null!;
    private TelemetryMapper _mapper = null!;
    private byte[] _body = [];
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("iothub-bench-ingest-").FullName;
        _store = DuckDbStore.OpenAsync(new StorageOptions { DataDirectory = _directory, CompactionRowThreshold = 100_000_000 }, NullLogger.Instance, CancellationToken.None).GetAwaiter().GetResult();
        var options = new IngestOptions();
        _mapper = new TelemetryMapper(options, TimeProvider.System);
        _ingest = new LineProtocolIngest(DeviceRegistry.Load(_directory), _store, _mapper, options, new IngestMetrics(), TimeProvider.System, NullLogger<LineProtocolIngest>.Instance);

        // Timestamps of 19 digits, rewritten in place before each invocation.
        _next = TimeUnits.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-300));
        var text = new StringBuilder(Lines * 80);
        for (var i = 0; i < Lines; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"traffic,lane=1,detector=d7 volume={(i * 7) % 40}i,occupancy={i % 100 / 100.0:0.00},speed={20 + (i % 50)}.5 ");
            _timestampOffsets.Add(Encoding.UTF8.GetByteCount(text.ToString()));
            text.Append(CultureInfo.InvariantCulture, $"{_next}\n");
        }

        _body = Encoding.UTF8.GetBytes(text.ToString());
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    /// <summary>Decoding into <see cref="Point"/> objects (the parser's convenience path; ingest's path until 2026-11-28).</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseToPoints() => LineProtocolParser.ParseLenient(NextBody(), LineProtocolPrecision.Nanosecond, 0).Points.Count;

    /// <summary>Decoding into <see cref="Point"/> objects, then the per-point checks of an admin-token write (ingest's path until 2026-11-28).</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseAndCheck()
    {
        var points = LineProtocolParser.ParseLenient(NextBody(), LineProtocolPrecision.Nanosecond, 0).Points;
        _mapper.CheckUnbound(points);
        return points.Count;
    }

    /// <summary>Decoding and checking straight into per-series columns (what ingest does now).</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public int ParseToColumns()
    {
        var columns = LineColumns.Rent(_mapper);
        try
        {
            columns.Start(device: null);
            using var reader = new LineProtocolReader(LineProtocolPrecision.Nanosecond, 0);
            var sink = columns.AsSink();
            var input = NextBody().FirstSpan;
            while (reader.ReadNextInSpan(input, isFinalBlock: true, ref sink, out var consumed, out _) == LineProtocolReadStatus.Point)
            {
                input = input[consumed..];
            }

            return columns.ToColumns().Count + columns.PointsAccepted;
        }
        finally
        {
            LineColumns.Return(columns);
        }
    }

    /// <summary>The whole durable write of an admin-token body: decode, check, group commit.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public async Task<int> DurableWrite()
    {
        var result = await _ingest.WriteAsync(NextBody(), LineProtocolPrecision.Nanosecond, device: null, batch: null, "http", CancellationToken.None);
        return result.Errors.Count == 0 ? result.Written : throw new InvalidOperationException(result.Errors[0]);
    }

    public void Dispose()
    {
        ScratchStore.Close(_store, _directory);
        _store = null!;
        GC.SuppressFinalize(this);
    }

    private ReadOnlySequence<byte> NextBody()
    {
        for (var i = 0; i < _timestampOffsets.Count; i++)
        {
            var ts = _next + (i * Second);
            ts.TryFormat(_body.AsSpan(_timestampOffsets[i], 19), out _, default, CultureInfo.InvariantCulture);
        }

        _next += Lines * Second;
        return new ReadOnlySequence<byte>(_body);
    }
}
