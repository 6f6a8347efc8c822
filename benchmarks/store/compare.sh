#!/usr/bin/env bash
# Store benchmarks of issue 4, one run: sustained ingest into the store alone, then the city's
# data loaded into the embedded store and into victoria-metrics (Debian package), then from disk
# bytes per point and query latency ratios, against the same victoria-metrics process.
# Usage: benchmarks/store/compare.sh [days] [ingest seconds]
# Takes the shared CPU lock (/tmp/iothub-cpu.lock) itself: shared while loading, exclusive while
# measuring; do not wrap it in flock.
set -euo pipefail
cd "$(dirname "$0")/../.."
days="${1:-30}"
seconds="${2:-30}"
command -v victoria-metrics >/dev/null || { echo "install victoria-metrics (apt-get install -y victoria-metrics)" >&2; exit 2; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data="$(mktemp -d /tmp/vm-compare.XXXXXX)"
store="$(mktemp -d /tmp/iothub-compare.XXXXXX)"
victoria-metrics -httpListenAddr "127.0.0.1:${port}" -storageDataPath "$data" -retentionPeriod 100y >"$data.log" 2>&1 &
vm=$!
trap 'kill "$vm" 2>/dev/null; wait "$vm" 2>/dev/null; rm -rf "$data" "$data.log" "$store"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:${port}/health" >/dev/null && break; sleep 0.1; done
exec 9>/tmp/iothub-cpu.lock
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
flock -s 9
echo "load (shared lock) from: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet run benchmarks/store/StoreCompare.cs -c Release -- load "http://127.0.0.1:${port}" "$store" "$days"
flock -x 9
echo "measure (exclusive lock) from: $(cut -d' ' -f1-3 /proc/loadavg)"
# Sustained ingest, compaction on: a point per series every second (new series, mostly in their
# first hour) and every minute (every compaction seals every raw row, in parts).
if [ "$seconds" -gt 0 ]; then
  dotnet run benchmarks/store/StoreCompare.cs -c Release -- ingest "$seconds" 10000 100 4 1
  dotnet run benchmarks/store/StoreCompare.cs -c Release -- ingest "$seconds" 10000 100 4 60
fi
dotnet run benchmarks/store/StoreCompare.cs -c Release -- measure "http://127.0.0.1:${port}" "$data" "$store" "$days"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
flock -u 9
