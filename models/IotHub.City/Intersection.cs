namespace IotHub.City;

/// <summary>
/// A signalised intersection on an arterial road; one approach has a detector in each lane,
/// upstream of the stop line.
/// </summary>
/// <param name="Id">Short lowercase id, stored as the <c>intersection</c> tag.</param>
/// <param name="Name">Display name.</param>
/// <param name="Road">Id of the arterial road the approach is on, stored as the <c>road</c> tag.</param>
/// <param name="Location">Position of the stop line.</param>
/// <param name="Lanes">Lanes of the approach, each with a detector.</param>
/// <param name="PeakDemandPerLane">Arriving vehicles per hour per lane at the weekday peak.</param>
/// <param name="Cycle">Signal cycle length.</param>
/// <param name="GreenSplit">Effective green of the approach as a fraction of the cycle.</param>
/// <param name="DetectorDistance">Distance of the detectors upstream of the stop line, metres.</param>
public sealed record Intersection(
    string Id,
    string Name,
    string Road,
    GeoPoint Location,
    int Lanes,
    double PeakDemandPerLane,
    TimeSpan Cycle,
    double GreenSplit,
    double DetectorDistance)
{
    /// <summary>Device id of the detector in lane <paramref name="lane"/> (1-based, from the kerb).</summary>
    public string DetectorDeviceId(int lane) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"det-{Id}-l{lane}");
}
