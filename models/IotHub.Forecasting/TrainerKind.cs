namespace IotHub.Forecasting;

/// <summary>Which gradient-boosted tree learner ML.NET trains with.</summary>
public enum TrainerKind
{
    /// <summary>LightGbm when its native library loads (it needs Debian's libgomp1), FastTree otherwise.</summary>
    Auto,

    /// <summary>ML.NET's LightGbm (native <c>lib_lightgbm</c>).</summary>
    LightGbm,

    /// <summary>ML.NET's FastTree: managed, the fallback.</summary>
    FastTree,
}
