using System.Text;
using IotHub.Ingest;
using IotHub.Storage;

namespace IotHub.Hub;

/// <summary>The hub's own metrics in the Prometheus text exposition format (version 0.0.4).</summary>
internal static class MetricsText
{
    public static string Render(IngestMetrics metrics, DuckDbStore store, DeviceRegistry registry)
    {
        var text = new StringBuilder(2048);
        text.AppendLine("# HELP iothub_points_ingested_total Points accepted and committed, per listener.");
        text.AppendLine("# TYPE iothub_points_ingested_total counter");
        foreach (var (listener, points) in metrics.PointsByListener())
        {
            text.AppendLine(ApiRoutes.Invariant($"iothub_points_ingested_total{{listener=\"{listener}\"}} {points}"));
        }

        text.AppendLine("# HELP iothub_rejections_total Messages refused, per reason.");
        text.AppendLine("# TYPE iothub_rejections_total counter");
        foreach (var (reason, count) in metrics.Rejections())
        {
            text.AppendLine(ApiRoutes.Invariant($"iothub_rejections_total{{reason=\"{reason}\"}} {count}"));
        }

        text.AppendLine("# HELP iothub_ack_latency_seconds Time from a write reaching ingest to its commit (the writer's wait for its ack), per listener.");
        text.AppendLine("# TYPE iothub_ack_latency_seconds histogram");
        foreach (var (listener, histogram) in metrics.AckLatencies())
        {
            var cumulative = histogram.CumulativeCounts();
            for (var i = 0; i < LatencyHistogram.UpperBounds.Count; i++)
            {
                text.AppendLine(ApiRoutes.Invariant($"iothub_ack_latency_seconds_bucket{{listener=\"{listener}\",le=\"{LatencyHistogram.UpperBounds[i]}\"}} {cumulative[i]}"));
            }

            text.AppendLine(ApiRoutes.Invariant($"iothub_ack_latency_seconds_bucket{{listener=\"{listener}\",le=\"+Inf\"}} {cumulative[^1]}"));
            text.AppendLine(ApiRoutes.Invariant($"iothub_ack_latency_seconds_sum{{listener=\"{listener}\"}} {histogram.SumSeconds}"));
            text.AppendLine(ApiRoutes.Invariant($"iothub_ack_latency_seconds_count{{listener=\"{listener}\"}} {histogram.Count}"));
        }

        Single(text, "iothub_http_writes_in_progress", "gauge", "HTTP writes holding one of the Ingest:MaxConcurrentHttpWrites slots.", metrics.HttpWritesInProgress);
        Single(text, "iothub_rate_limit_delays_total", "counter", "Device writes held back (acks delayed) because the device was over its rate.", metrics.RateLimitDelays);
        Single(text, "iothub_duplicate_batches_total", "counter", "Resent batches acknowledged without writing (exactly-once).", metrics.DuplicateBatches);
        Single(text, "iothub_store_points_written_total", "counter", "Points acknowledged durable (in the ingest log, or committed without it) since start.", store.PointsWritten);
        Single(text, "iothub_store_commits_total", "counter", "Store transactions committed since start.", store.Commits);
        Single(text, "iothub_store_write_queue_depth", "gauge", "Write requests waiting for a commit.", store.QueueDepth);
        Single(text, "iothub_ingest_log_backlog_bytes", "gauge", "Bytes of the ingest log acknowledged and not yet applied to the database.", store.IngestLogBacklogBytes);
        Single(text, "iothub_ingest_log_syncs_total", "counter", "Group writes of the ingest log (one fsync each) since start.", store.IngestLogSyncs);
        Single(text, "iothub_devices_connected", "gauge", "Devices with an open MQTT connection.", registry.ConnectedCount);
        Single(text, "iothub_store_hot_block_bytes", "gauge", "Bytes of sealed blocks of the recent days held in memory for queries (Storage:HotBlockDays).", store.HotBlockBytes);
        var gc = GC.GetGCMemoryInfo();
        Single(text, "dotnet_gc_heap_size_bytes", "gauge", ".NET managed heap size after the last garbage collection.", gc.HeapSizeBytes);
        Single(text, "dotnet_gc_committed_bytes", "gauge", "Memory the .NET garbage collector has committed from the operating system.", gc.TotalCommittedBytes);
        Single(text, "process_resident_memory_bytes", "gauge", "Resident memory of the hub process (managed heap, DuckDB's buffers and everything else).", Environment.WorkingSet);
        return text.ToString();
    }

    // A metric of one value, with its help and type lines.
    private static void Single(StringBuilder text, string name, string type, string help, long value)
    {
        text.Append("# HELP ").Append(name).Append(' ').AppendLine(help);
        text.Append("# TYPE ").Append(name).Append(' ').AppendLine(type);
        text.AppendLine(ApiRoutes.Invariant($"{name} {value}"));
    }
}
