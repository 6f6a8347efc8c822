namespace IotHub.Edge;

/// <summary>What the hub answered to a batch.</summary>
/// <param name="Outcome">Stored (wholly or partly), refused, or to be sent again later.</param>
/// <param name="RejectedReadings">Readings of the batch the hub refused (not sent again).</param>
/// <param name="Reason">The hub's reason when it refused readings or could not take the batch.</param>
internal readonly record struct UplinkResult(UplinkOutcome Outcome, int RejectedReadings, string Reason);
