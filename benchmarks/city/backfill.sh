#!/usr/bin/env bash
# Backfills DAYS days of the default city into a fresh hub and reports points/s, the hub's CPU
# and RSS and the store's size. Usage (from the repository root):
#   dotnet build hub/IotHub.Hub -c Release --artifacts-path /tmp/art-city-hub
#   dotnet build simulators/IotHub.CitySim -c Release --artifacts-path /tmp/art-city
#   benchmarks/city/backfill.sh [DAYS=90] [extra backfill options, e.g. --gzip false]
set -euo pipefail
DAYS=${1:-90}; shift || true
WORK=${WORK:-$(mktemp -d /tmp/city-backfill.XXXXXX)}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/hub.sh"
start_hub
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg); hub pid $HUB, data $WORK/data"
before=$("$HERE/cpu-of.sh" $HUB)
/usr/bin/time -f "backfill process: %U s user, %S s system, %e s wall, max RSS %M KiB" \
  dotnet "$SIM_DLL" backfill --hub-data "$WORK/data" --days "$DAYS" "$@"
after=$("$HERE/cpu-of.sh" $HUB)
echo "hub: $(echo "$after - $before" | bc) s CPU during the backfill, RSS $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$HUB/status), peak $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$HUB/status)"
TOKEN=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['adminToken'])" "$WORK/data/admin.json")
HTTP=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['http'])" "$WORK/data/endpoints.json")
echo "hub stats: $(curl -s -H "Authorization: Token $TOKEN" "$HTTP/api/v1/stats")"
echo "store: $(du -sh "$WORK/data" | cut -f1); load average after $(cut -d' ' -f1-3 /proc/loadavg)"
