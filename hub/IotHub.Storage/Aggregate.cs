namespace IotHub.Storage;

/// <summary>How the values of one time bucket are combined.</summary>
public enum Aggregate
{
    /// <summary>Arithmetic mean.</summary>
    Mean,

    /// <summary>Smallest value.</summary>
    Min,

    /// <summary>Largest value.</summary>
    Max,

    /// <summary>Sum.</summary>
    Sum,

    /// <summary>Number of values.</summary>
    Count,

    /// <summary>The value with the latest timestamp.</summary>
    Last,

    /// <summary>95th percentile (linear interpolation).</summary>
    P95,
}
