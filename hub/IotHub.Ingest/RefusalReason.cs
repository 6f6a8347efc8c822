using IotHub.Storage;

namespace IotHub.Ingest;

/// <summary>How listeners count and word a write the store refused as bad input.</summary>
internal static class RefusalReason
{
    /// <summary>The rejection counter of the refusal.</summary>
    public static RejectReason Of(WriteRefusedException refused) =>
        refused.Refusal == WriteRefusal.TooManySeries ? RejectReason.TooManySeries : RejectReason.WrongFieldType;

    /// <summary>The answer's text: what was refused, and why.</summary>
    public static string Describe(WriteRefusedException refused) =>
        (refused.Refusal == WriteRefusal.TooManySeries ? "too many series: " : "field type conflict: ") + refused.Message;
}
