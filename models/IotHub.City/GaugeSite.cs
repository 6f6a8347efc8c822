namespace IotHub.City;

/// <summary>
/// What a scenario author knows about a gauge site; <see cref="RiverNetworkBuilder"/> derives the
/// hydrology (local catchment, travel times, rating curve, thresholds) from it.
/// </summary>
/// <param name="DeviceId">Device id of the gauge.</param>
/// <param name="Name">Bridge or district.</param>
/// <param name="Latitude">Degrees north.</param>
/// <param name="Longitude">Degrees east.</param>
/// <param name="UpstreamArea">Whole catchment above this gauge, tributaries included, km2.</param>
/// <param name="BankHeight">Height of the channel walls above the gauge datum, metres.</param>
internal sealed record GaugeSite(string DeviceId, string Name, double Latitude, double Longitude, double UpstreamArea, double BankHeight);
