namespace IotHub.City;

/// <summary>A smart pole (people flow, weather, noise, signage).</summary>
/// <param name="DeviceId">Device id of the pole.</param>
/// <param name="Name">Where it stands.</param>
/// <param name="Location">Position of the pole.</param>
/// <param name="PeakPeopleInView">People in the sensor's view at the busiest weekday minute.</param>
public sealed record SmartPole(string DeviceId, string Name, GeoPoint Location, double PeakPeopleInView);
