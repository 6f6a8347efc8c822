#!/usr/bin/env bash
# Overload (issue 3, acceptance 4): measure the hub's sustainable HTTP write rate (closed loop),
# then offer 3x that rate open loop for 60 s, and check that clients were slowed (503 + Retry-After,
# ack latency) rather than failed, that memory stayed bounded (peak RSS, sampled every second),
# and that every acknowledged point is in the store (count per series read back from the hub).
# Usage: flock -x /tmp/iothub-cpu.lock benchmarks/overload.sh [factor] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/hub-files.sh
factor=${1:-3}
seconds=${2:-60}
work=$(mktemp -d /tmp/iothub-overload-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

build_hub_and_load

dotnet "$hub_dll" serve --data "$work/hub" --http 0 --mqtt 0 --tcp -1 --grpc -1 >"$work/hub.log" 2>&1 & pids+=($!)
hub_pid=${pids[0]}
wait_hub "$work/hub" "$work/hub.log"
hub_http=$(hub_http "$work/hub")
token=$(hub_token "$work/hub")
run() { dotnet "$load_dll" "$@"; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm-up (not measured), then the sustainable rate: closed loop, 1,000 points a request as below.
run http --url "$hub_http/api/v2/write?bucket=b" --token "$token" --clients 4 --batches 10 --lines 1000 --first-detector 5000 >/dev/null
closed=$(run http --url "$hub_http/api/v2/write?bucket=b" --token "$token" --clients 8 --batches 150 --lines 1000 --first-detector 6000); echo "sustainable: $closed"
sustainable=$(sed -E 's/.*points_per_s=([0-9]+).*/\1/' <<<"$closed")
rate=$((sustainable * factor))

# RSS and ingest log backlog every second while the overload runs.
( while kill -0 "$hub_pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/{print $2}' /proc/$hub_pid/status 2>/dev/null || echo 0)
    metrics=$(curl -sf "$hub_http/metrics" || true)
    value() { awk -v m="$1" '$1 == m {printf "%.0f", $2}' <<<"$metrics"; }
    echo "$(date +%s) rss_kb=$rss backlog_bytes=$(value iothub_ingest_log_backlog_bytes) gc_committed_bytes=$(value dotnet_gc_committed_bytes) gc_heap_bytes=$(value dotnet_gc_heap_size_bytes) hot_block_bytes=$(value iothub_store_hot_block_bytes)"; sleep 1
  done ) >"$work/samples.log" 2>/dev/null & pids+=($!)

hwm_before=$(awk '/VmHWM/{print $2}' /proc/$hub_pid/status)
echo "offering ${factor}x = $rate points/s for $seconds s"
status=0
run http-open --url "$hub_http/api/v2/write?bucket=b" --token "$token" --rate "$rate" --seconds "$seconds" --lines 1000 --max-in-flight 256 --verify-api "$hub_http" || status=$?
sampled_max() { sed -nE "s/.* $1=([0-9]+).*/\1/p" "$work/samples.log" | sort -n | tail -1; }
echo "hub peak rss_kb (VmHWM, whole run)=$(awk '/VmHWM/{print $2}' /proc/$hub_pid/status) before overload=$hwm_before; sampled max rss_kb=$(sampled_max rss_kb) max backlog_bytes=$(sampled_max backlog_bytes)"
# Where the memory was (sampled maxima, not at the same moment): the .NET heap the GC had committed,
# the sealed blocks held for queries; the rest of the RSS is DuckDB's buffers (Storage:MemoryLimitMegabytes) and native code.
echo "sampled max gc_committed_bytes=$(sampled_max gc_committed_bytes) gc_heap_bytes=$(sampled_max gc_heap_bytes) hot_block_bytes=$(sampled_max hot_block_bytes)"
echo "sample at the peak: $(awk '{v = $2; sub(/rss_kb=/, "", v); if (v + 0 > best) { best = v + 0; line = $0 } } END { print line }' "$work/samples.log")"
# RSS and .NET heap over the run (every 5 s), to tell a plateau from growth.
echo "rss_mb/gc_heap_mb every 5 s: $(awk 'NR % 5 == 1 { r = $2; h = $5; sub(/rss_kb=/, "", r); sub(/gc_heap_bytes=/, "", h); printf "%d/%d ", r / 1024, h / 1048576 }' "$work/samples.log")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
