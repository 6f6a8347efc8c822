namespace IotHub.Simulators;

/// <summary>Stream numbers for <see cref="SensorNoise"/>, one per kind of random quantity, so they never correlate.</summary>
internal static class NoiseStream
{
    public const int StormDay = 1;
    public const int DailyTemperature = 2;
    public const int DailyWind = 3;
    public const int RiverLevel = 10;
    public const int Sewer = 20;
    public const int SewerCapacity = 21;
    public const int TrainCar = 30;
    public const int TrainDay = 31;
    public const int Traffic = 40;
    public const int TrafficDay = 41;
    public const int Pole = 50;
    public const int Weather = 51;
    public const int NowcastEast = 60;
    public const int NowcastNorth = 61;
    public const int NowcastIntensity = 62;
}
