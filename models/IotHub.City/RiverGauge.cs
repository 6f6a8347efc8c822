namespace IotHub.City;

/// <summary>
/// A water-level gauge (with its rain gauge) and the sub-catchment that drains to it between the
/// gauge upstream of it and this one.
/// </summary>
/// <param name="DeviceId">Device id of the gauge.</param>
/// <param name="Name">Where it is (bridge or district).</param>
/// <param name="Location">Position of the gauge and its rain gauge.</param>
/// <param name="CatchmentCentre">Centre of the local sub-catchment, where its rainfall is sampled.</param>
/// <param name="LocalCatchmentArea">Area draining to this gauge but not through an upstream gauge, km2.</param>
/// <param name="RunoffCoefficient">Fraction of rainfall that runs off quickly (0.5-0.8 for Tokyo's paved catchments).</param>
/// <param name="ReservoirTimeConstant">Time constant of each of the three linear reservoirs the local runoff passes through (urban: 10-20 min).</param>
/// <param name="BaseFlow">Dry-weather flow entering at this gauge (springs, treated water), m3/s.</param>
/// <param name="Rating">Stage-discharge curve of the gauge.</param>
/// <param name="Thresholds">The four threshold levels, metres at the gauge.</param>
/// <param name="DownstreamGaugeId">The gauge this one's flow reaches next, or <c>null</c> at the river mouth.</param>
/// <param name="TravelTimeDownstream">How long flow takes from here to the downstream gauge.</param>
public sealed record RiverGauge(
    string DeviceId,
    string Name,
    GeoPoint Location,
    GeoPoint CatchmentCentre,
    double LocalCatchmentArea,
    double RunoffCoefficient,
    TimeSpan ReservoirTimeConstant,
    double BaseFlow,
    RatingCurve Rating,
    GaugeThresholds Thresholds,
    string? DownstreamGaugeId,
    TimeSpan TravelTimeDownstream);
