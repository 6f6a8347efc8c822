using IotHub.Telemetry;

namespace IotHub.City;

/// <summary>
/// The device kinds of the city, with every measurement name, field and unit defined once
/// (DOMAIN.md). Edge agents, the hub's validation, forecasts and the dashboard all read these.
/// </summary>
public static class DeviceKinds
{
    /// <summary>Nishi-Shinjuku smart pole: people flow, weather, noise, signage.</summary>
    public static DeviceKind SmartPole { get; } = new(
        "smart-pole",
        "smart_pole",
        "Smart pole (people flow, weather, noise, signage)",
        [
            new("people_count", FieldKind.Integer, "1", "People within the sensor's view"),
            new("flow_towards", FieldKind.Integer, "1/min", "People per minute walking towards the station"),
            new("flow_away", FieldKind.Integer, "1/min", "People per minute walking away from the station"),
            new("temperature", FieldKind.Float, "Cel", "Air temperature"),
            new("humidity", FieldKind.Float, "%RH", "Relative humidity"),
            new("wind_speed", FieldKind.Float, "m/s", "Mean wind speed"),
            new("rain_rate", FieldKind.Float, "mm/h", "Rain intensity"),
            new("noise", FieldKind.Float, "dB", "Sound level, A-weighted"),
            new("signage", FieldKind.String, "", "What the signage screen shows (normal or a disaster message)"),
        ])
    {
        // People flow is counted per minute.
        ReportInterval = TimeSpan.FromMinutes(1),
    };

    /// <summary>
    /// Fields of a river gauge's reading that relay the radar rain nowcast for its local catchment (JMA's
    /// 高解像度降水ナウキャスト, 5-minute issues up to 60 minutes ahead): mm in each 10 minutes ahead, nearest first.
    /// </summary>
    public static IReadOnlyList<string> RainNowcastFields { get; } =
        ["rain_nowcast_10", "rain_nowcast_20", "rain_nowcast_30", "rain_nowcast_40", "rain_nowcast_50", "rain_nowcast_60"];

    /// <summary>River water-level gauge with rain gauge and camera.</summary>
    public static DeviceKind RiverGauge { get; } = new(
        "river-gauge",
        "river",
        "River water-level gauge with rain gauge and camera",
        [
            new("level", FieldKind.Float, "m", "Water level at the gauge (gauge datum)"),
            new("rain_10min", FieldKind.Float, "mm", "Rainfall in the last 10 minutes"),
            new("rain_rate", FieldKind.Float, "mm/h", "Rain intensity"),
            new("rain_24h", FieldKind.Float, "mm", "Rainfall in the last 24 hours"),
            .. RainNowcastFields.Select((name, n) => new FieldSpec(name, FieldKind.Float, "mm", $"Rain nowcast over the local catchment in the 10 minutes ending {10 * (n + 1)} minutes ahead (radar extrapolation, as JMA's high-resolution precipitation nowcast)")),
        ])
    {
        // Tokyo's water disaster system reports levels every 10 minutes (DOMAIN.md).
        ReportInterval = TimeSpan.FromMinutes(10),
    };

    /// <summary>Multi-function manhole cover reporting the sewer pipe's state.</summary>
    public static DeviceKind Manhole { get; } = new(
        "manhole",
        "sewer",
        "Multi-function manhole cover (sewer level, H2S, cover, battery)",
        [
            new("level", FieldKind.Float, "m", "Water level in the pipe above its invert (not reported while surcharged)"),
            new("surcharged", FieldKind.Boolean, "", "The pipe is full; ultrasonic gauges cannot read a level then"),
            new("h2s", FieldKind.Float, "ppm", "Hydrogen sulphide concentration"),
            new("cover_open", FieldKind.Boolean, "", "The cover has been lifted"),
            new("battery", FieldKind.Float, "V", "Battery voltage"),
        ])
    {
        // Battery-powered covers report every few minutes; sewers respond to rain within minutes.
        ReportInterval = TimeSpan.FromMinutes(5),
    };

    /// <summary>Subway car load sensor (air-spring pressure converted to people).</summary>
    public static DeviceKind TrainCar { get; } = new(
        "train-car",
        "car_load",
        "Subway car load sensor, reported at each station departure",
        [
            new("load", FieldKind.Float, "kg", "Passenger load from air-spring pressure"),
            new("passengers", FieldKind.Integer, "1", "Estimated passengers (load / 55 kg)"),
            new("load_factor", FieldKind.Float, "%", "乗車率: passengers / capacity; 100 = capacity"),
            new("station", FieldKind.String, "", "Station the car departed from"),
        ])
    {
        // About one station departure every two minutes.
        ReportInterval = TimeSpan.FromMinutes(2),
    };

    /// <summary>Vehicle detector on one lane of an arterial road.</summary>
    public static DeviceKind TrafficDetector { get; } = new(
        "traffic-detector",
        "traffic",
        "Vehicle detector, per lane, per interval",
        [
            new("volume", FieldKind.Integer, "1", "Vehicles counted in the interval"),
            new("occupancy", FieldKind.Float, "1", "Fraction of the interval the detector was occupied (0-1)"),
            new("speed", FieldKind.Float, "km/h", "Mean speed"),
            new("queue_length", FieldKind.Float, "m", "Queue (渋滞長) upstream of the stop line"),
        ])
    {
        // Detectors aggregate per 1 or 5 minutes (DOMAIN.md); 5 is what traffic control archives.
        ReportInterval = TimeSpan.FromMinutes(5),
    };

    /// <summary>The health fields every kind's edge agent reports on the device's state topic (<see cref="DeviceHealthFields"/>).</summary>
    public static IReadOnlyList<FieldSpec> Health => DeviceHealthFields.All;

    /// <summary>Every kind.</summary>
    public static IReadOnlyList<DeviceKind> All { get; } = [SmartPole, RiverGauge, Manhole, TrainCar, TrafficDetector];

    /// <summary>Finds a kind by its id.</summary>
    public static bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceKind? kind)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Id, id, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = null;
        return false;
    }
}
