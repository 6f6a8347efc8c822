#!/usr/bin/env bash
# Sustained MQTT QoS1 ingest with 1,000-point messages (issue 3, acceptance 3): a fresh hub,
# a warm-up (100 devices x 200 messages of 10 points), then DEV devices x MSGS messages x PTS points (default 20 x 400 x 1,000 =
# 8 M points, 4x what the ingest log's 64 MB backlog holds, so most acks wait for the store's
# commit loop). Prints the load tool's line, the CPU the hub and the load tool used, and the
# hub's CPU per thread name (store-commit is the commit loop). HUBENV adds settings, e.g.
# HUBENV="IOTHUB_Storage__MaxPointsPerCommit=100000". Run it alone:
#   flock -x /tmp/iothub-cpu.lock benchmarks/store/mqtt-sustained.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source benchmarks/hub-files.sh
work=$(mktemp -d /tmp/iothub-sustained-XXXXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
build_hub_and_load
start_hub_with "${HUBENV:-}" "$work/hub"; pids+=("$hub_pid")
dotnet "$load_dll" mqtt --port "$port" --hub-api "$http" --admin-token "$token" --id-prefix warm --devices 100 --messages 200 --points-per-message 10 >/dev/null
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
before=$(cpu_s "$hub_pid")
/usr/bin/time -f "load tool CPU: user %U s, system %S s" dotnet "$load_dll" mqtt --port "$port" --hub-api "$http" --admin-token "$token" --id-prefix d --devices "${DEV:-20}" --messages "${MSGS:-400}" --points-per-message "${PTS:-1000}"
echo "hub CPU during the load: $(python3 -c "print(round(($(cpu_s "$hub_pid")-$before)*1000))") ms"
echo "hub CPU since start, per thread name:"
for t in /proc/"$hub_pid"/task/*; do
  echo "$(tr ' ' _ < "$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
done | awk -v hz="$(getconf CLK_TCK)" '{cpu[$1] += $2} END {for (n in cpu) if (cpu[n] * 1000 / hz >= 200) printf "  %s %d ms\n", n, cpu[n] * 1000 / hz}' | sort
