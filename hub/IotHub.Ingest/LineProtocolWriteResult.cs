using IotHub.Storage;

namespace IotHub.Ingest;

/// <summary>What became of a line protocol write.</summary>
/// <param name="Written">Points committed (0 for a duplicate batch).</param>
/// <param name="Errors">One entry per refused line or point, naming line and column or the problem.</param>
/// <param name="Outcome">Committed, or Duplicate when the batch sequence was committed before.</param>
public sealed record LineProtocolWriteResult(int Written, IReadOnlyList<string> Errors, WriteOutcome Outcome);
