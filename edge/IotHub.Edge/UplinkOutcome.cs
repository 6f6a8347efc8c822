namespace IotHub.Edge;

/// <summary>What becomes of a batch after the hub's answer.</summary>
internal enum UplinkOutcome
{
    /// <summary>Committed (or committed before): the batch leaves the queue; refused readings in it are counted.</summary>
    Stored,

    /// <summary>The hub could not take it now (store failure, overload): it stays queued and is sent again after a backoff.</summary>
    RetryLater,
}
