namespace IotHub.Edge;

/// <summary>How a disk queue file keeps readings, and so what its batches carry.</summary>
public enum QueuePayloadFormat
{
    /// <summary>InfluxDB line protocol, one line per reading, nanosecond timestamps; batches are the lines back to back.</summary>
    LineProtocol,

    /// <summary>JSON objects <c>{"ts": ms, "values": {...}}</c> (files of earlier agents); batches are JSON arrays.</summary>
    Json,
}
