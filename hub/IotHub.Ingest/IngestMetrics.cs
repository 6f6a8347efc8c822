using System.Collections.Concurrent;

namespace IotHub.Ingest;

/// <summary>Counters of the ingest path, exposed by the hub's API and metrics.</summary>
public sealed class IngestMetrics
{
    private readonly long[] _rejections = new long[Enum.GetValues<RejectReason>().Length];
    private readonly ConcurrentDictionary<string, long> _pointsByListener = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LatencyHistogram> _ackLatency = new(StringComparer.Ordinal);
    private long _messages;
    private long _duplicateBatches;
    private long _duplicatePoints;
    private long _rateLimitDelays;
    private long _httpWritesInProgress;

    /// <summary>Messages (payloads) accepted.</summary>
    public long MessagesAccepted => Interlocked.Read(ref _messages);

    /// <summary>Counts an accepted payload and its points for a listener (mqtt, http, tcp, grpc).</summary>
    public void Accepted(string listener, int points)
    {
        Interlocked.Increment(ref _messages);
        _pointsByListener.AddOrUpdate(listener, points, (_, total) => total + points);
    }

    /// <summary>Counts a resent batch that was already committed (acknowledged, not written again).</summary>
    public void Duplicate(int points)
    {
        Interlocked.Increment(ref _duplicateBatches);
        Interlocked.Add(ref _duplicatePoints, points);
    }

    /// <summary>Time from a write reaching ingest to its commit (what the writer waits for its ack), per listener.</summary>
    public LatencyHistogram AckLatency(string listener) => _ackLatency.GetOrAdd(listener, static _ => new LatencyHistogram());

    /// <summary>Every listener's ack latency histogram.</summary>
    public IReadOnlyDictionary<string, LatencyHistogram> AckLatencies() => new SortedDictionary<string, LatencyHistogram>(_ackLatency, StringComparer.Ordinal);

    /// <summary>Resent batches acknowledged without writing.</summary>
    public long DuplicateBatches => Interlocked.Read(ref _duplicateBatches);

    /// <summary>Points in resent batches acknowledged without writing.</summary>
    public long DuplicatePoints => Interlocked.Read(ref _duplicatePoints);

    /// <summary>Counts a write held back because its device was over its rate (slowed, not refused).</summary>
    public void RateLimitDelayed() => Interlocked.Increment(ref _rateLimitDelays);

    /// <summary>Writes held back because their device was over its rate.</summary>
    public long RateLimitDelays => Interlocked.Read(ref _rateLimitDelays);

    /// <summary>HTTP writes holding a slot now (their bodies read or being read), of Ingest:MaxConcurrentHttpWrites.</summary>
    public long HttpWritesInProgress => Interlocked.Read(ref _httpWritesInProgress);

    /// <summary>Counts an HTTP write taking (+1) or giving back (-1) its slot.</summary>
    public void HttpWriteSlot(int change) => Interlocked.Add(ref _httpWritesInProgress, change);

    /// <summary>Counts a rejection.</summary>
    public void Rejected(RejectReason reason) => Interlocked.Increment(ref _rejections[(int)reason]);

    /// <summary>Rejections so far for one reason.</summary>
    public long RejectionCount(RejectReason reason) => Interlocked.Read(ref _rejections[(int)reason]);

    /// <summary>Every reason with its count.</summary>
    public IReadOnlyDictionary<string, long> Rejections()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var reason in Enum.GetValues<RejectReason>())
        {
            result[reason.ToString()] = RejectionCount(reason);
        }

        return result;
    }

    /// <summary>Points accepted per listener.</summary>
    public IReadOnlyDictionary<string, long> PointsByListener() => new SortedDictionary<string, long>(_pointsByListener, StringComparer.Ordinal);
}
