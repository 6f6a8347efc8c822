namespace IotHub.Forecasting;

/// <summary>
/// One car leaving one station: the load it reported on departure.
/// </summary>
/// <param name="Line">Index of the line in the scenario.</param>
/// <param name="Train">Train number, 1-based.</param>
/// <param name="Car">Car number, 1-based.</param>
/// <param name="CarKey">Index of the car among all instrumented cars.</param>
/// <param name="Station">Index of the station on its line.</param>
/// <param name="Forward">Running from the first terminus to the last.</param>
/// <param name="Time">Departure time (within a minute).</param>
/// <param name="ServiceDay">Service day (local date at 05:00 JST the day began), days since 0001-01-01.</param>
/// <param name="Ordinal">Number of this departure within the car's service day: the same for the same timetable slot every day.</param>
/// <param name="Trip">Number of the one-way trip within the service day.</param>
/// <param name="LoadFactor">乗車率, % of the car's capacity.</param>
public readonly record struct CarStop(
    int Line, int Train, int Car, int CarKey, int Station, bool Forward, DateTimeOffset Time, long ServiceDay, int Ordinal, int Trip, float LoadFactor);
