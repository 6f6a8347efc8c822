namespace IotHub.Simulators;

/// <summary>Which part of the physics a device's readings come from.</summary>
internal enum DeviceCategory
{
    RiverGauge,
    Manhole,
    SmartPole,
    TrainCar,
    TrafficDetector,
}
