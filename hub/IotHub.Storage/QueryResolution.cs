namespace IotHub.Storage;

/// <summary>Which data answers an aggregated query.</summary>
public enum QueryResolution
{
    /// <summary>The store picks: the coarsest rollup whose bucket divides the step (not for p95), else raw points.</summary>
    Auto,

    /// <summary>Raw points.</summary>
    Raw,

    /// <summary>The 1-minute rollup (the step must be a whole number of minutes).</summary>
    Minute,

    /// <summary>The 1-hour rollup (the step must be a whole number of hours).</summary>
    Hour,
}
