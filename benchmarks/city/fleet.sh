#!/usr/bin/env bash
# N devices of the default city run as real edge agent processes (IotHub.Edge run, PER_AGENT
# devices each) against a fresh hub; reports connected devices, stored values/s and the CPU and
# RSS of the hub and of the agents. Usage (from the repository root):
#   dotnet build hub/IotHub.Hub -c Release --artifacts-path /tmp/art-city-hub
#   dotnet build simulators/IotHub.CitySim -c Release --artifacts-path /tmp/art-city
#   dotnet build edge/IotHub.Edge -c Release --artifacts-path /tmp/art-city-edge
#   benchmarks/city/fleet.sh [DEVICES=10000] [PER_AGENT=1000] [INTERVAL=10s] [DURATION=60s]
set -euo pipefail
DEVICES=${1:-10000}; PER_AGENT=${2:-1000}; INTERVAL=${3:-10s}; DURATION=${4:-60s}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hub.sh"
EDGE_DLL=${EDGE_DLL:-/tmp/art-city-edge/bin/IotHub.Edge/release_linux-x64/IotHub.Edge.dll}
WORK=${WORK:-$(mktemp -d /tmp/city-fleet.XXXXXX)}
# Every MQTT session is a file descriptor in the hub.
ulimit -n $((DEVICES + 10000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg); open files limit $(ulimit -n)"
start_hub
echo "hub pid $HUB, data $WORK/data"
/usr/bin/time -f "fleet command: %U s user, %S s system, %e s wall, max RSS %M KiB" \
  dotnet "$SIM_DLL" fleet --hub-data "$WORK/data" --devices "$DEVICES" --per-agent "$PER_AGENT" --interval "$INTERVAL" \
    --duration "$DURATION" --agent-dll "$EDGE_DLL" --work "$WORK/agents" --hub-pid $HUB
echo "hub log: $(grep -c . "$WORK/hub.log") lines, $(grep -ci 'warn\|fail\|error' "$WORK/hub.log" || true) warnings or errors"
