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

        text.AppendLine("# HELP iothub_http_writes_in_progress HTTP writes holding one of the Ingest:MaxConcurrentHttpWrites slots.");
        text.AppendLine("# TYPE iothub_http_writes_in_progress gauge");
        text.AppendLine(ApiRoutes.Invariant($"iothub_http_writes_in_progress {metrics.HttpWritesInProgress}"));
        text.AppendLine("# HELP iothub_rate_limit_delays_total Device writes held back (acks delayed) because the device was over its rate.");
        text.AppendLine("# TYPE iothub_rate_limit_delays_total counter");
        text.AppendLine(ApiRoutes.Invariant($"iothub_rate_limit_delays_total {metrics.RateLimitDelays}"));
        text.AppendLine("# HELP iothub_duplicate_batches_total Resent batches acknowledged without writing (exactly-once).");
        text.AppendLine("# TYPE iothub_duplicate_batches_total counter");
        text.AppendLine(ApiRoutes.Invariant($"iothub_duplicate_batches_total {metrics.DuplicateBatches}"));
        text.AppendLine("# HELP iothub_store_points_written_total Points acknowledged durable (in the ingest log, or committed without it) since start.");
        text.AppendLine("# TYPE iothub_store_points_written_total counter");
        text.AppendLine(ApiRoutes.Invariant($"iothub_store_points_written_total {store.PointsWritten}"));
        text.AppendLine("# HELP iothub_store_commits_total Store transactions committed since start.");
        text.AppendLine("# TYPE iothub_store_commits_total counter");
        text.AppendLine(ApiRoutes.Invariant($"iothub_store_commits_total {store.Commits}"));
        text.AppendLine("# HELP iothub_store_write_queue_depth Write requests waiting for a commit.");
        text.AppendLine("# TYPE iothub_store_write_queue_depth gauge");
        text.AppendLine(ApiRoutes.Invariant($"iothub_store_write_queue_depth {store.QueueDepth}"));
        text.AppendLine("# HELP iothub_ingest_log_backlog_bytes Bytes of the ingest log acknowledged and not yet applied to the database.");
        text.AppendLine("# TYPE iothub_ingest_log_backlog_bytes gauge");
        text.AppendLine(ApiRoutes.Invariant($"iothub_ingest_log_backlog_bytes {store.IngestLogBacklogBytes}"));
        text.AppendLine("# HELP iothub_ingest_log_syncs_total Group writes of the ingest log (one fsync each) since start.");
        text.AppendLine("# TYPE iothub_ingest_log_syncs_total counter");
        text.AppendLine(ApiRoutes.Invariant($"iothub_ingest_log_syncs_total {store.IngestLogSyncs}"));
        text.AppendLine("# HELP iothub_devices_connected Devices with an open MQTT connection.");
        text.AppendLine("# TYPE iothub_devices_connected gauge");
        text.AppendLine(ApiRoutes.Invariant($"iothub_devices_connected {registry.ConnectedCount}"));
        return text.ToString();
    }
}
