#!/usr/bin/env bash
# N simulated devices connect at once to a fresh hub, each over its own MQTT connection, and
# publish every INTERVAL; reports connected devices, msgs/s and the hub's CPU and RSS.
# Usage (from the repository root, after building as in backfill.sh):
#   benchmarks/city/load.sh [DEVICES=10000] [INTERVAL=10s] [DURATION=60s]
# Devices are registered over HTTP in bulk (POST /api/v1/devices/bulk, 5,000 a request).
# Connections are spread over 127.0.0.x source addresses, 20,000 each, because one address has
# only the ephemeral port range (32768-60999 here).
set -euo pipefail
DEVICES=${1:-10000}; INTERVAL=${2:-10s}; DURATION=${3:-60s}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hub.sh"
WORK=${WORK:-$(mktemp -d /tmp/city-load.XXXXXX)}
# Every connection is a file descriptor in both processes: raise the limit (root may raise the
# hard limit up to fs.nr_open; others get their hard limit).
ulimit -n $((DEVICES + 10000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg); open files limit $(ulimit -n); ports $(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' '-'); somaxconn $(cat /proc/sys/net/core/somaxconn)"
start_hub
echo "hub pid $HUB, data $WORK/data, RSS at start $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$HUB/status)"
/usr/bin/time -f "load process: %U s user, %S s system, %e s wall, max RSS %M KiB" \
  dotnet "$SIM_DLL" load --hub-data "$WORK/data" --devices "$DEVICES" --interval "$INTERVAL" --duration "$DURATION" --hub-pid $HUB
echo "hub log tail:"; tail -5 "$WORK/hub.log"
