using System.Buffers;

namespace IotHub.Benchmarks;

/// <summary>A segment of a multi-segment sequence, like the ones a pipe hands out.</summary>
internal sealed class BenchmarkSegment : ReadOnlySequenceSegment<byte>
{
    public BenchmarkSegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public BenchmarkSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new BenchmarkSegment(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }
}
