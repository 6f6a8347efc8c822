#!/usr/bin/env bash
# Edge replay and memory benchmark (issue 5, acceptance 2 and 3).
#
#   benchmarks/edge/replay.sh [DEVICES] [OUTAGE_SECONDS] [INTERVAL_SECONDS]
#
# Builds the hub and the agent (Release), starts the hub on free loopback ports, registers
# DEVICES devices (default 1000, every kind), fills one agent's disk queue with the readings an
# outage of OUTAGE_SECONDS (default 3600) at INTERVAL_SECONDS sampling (default 10) leaves, then
# drains it to the hub and prints the rate and the hub's stats (rejections, duplicates). Then it
# measures the agent's peak RSS running live with all the devices and with one device.
# AGENT_ENV="DOTNET_GCgen0size=0x400000" sets runtime knobs for the live agent runs only;
# SKIP_RSS=1 stops after the replay; NO_BUILD=1 uses the binaries already in ARTIFACTS;
# UPLINK=grpc replays over the hub's gRPC stream instead of MQTT.
# Needs: dotnet, clang (Native AOT publish of the agent), curl, python3. Everything binds to 127.0.0.1; the work folder is deleted at the end.
set -euo pipefail
DEVICES=${1:-1000}
OUTAGE=${2:-3600}
INTERVAL=${3:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ART=${ARTIFACTS:-/tmp/iothub-edge-bench-art}
WORK=$(mktemp -d /tmp/iothub-edge-bench-XXXXXX)
HUB_PID=""
cleanup() { [ -n "$HUB_PID" ] && kill -TERM "$HUB_PID" 2>/dev/null; wait "$HUB_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# The agent runs as it is published: a native (AOT) executable.
if [ -z "${NO_BUILD:-}" ]; then
  dotnet build "$ROOT/hub/IotHub.Hub" -c Release --artifacts-path "$ART" -v q -nologo >/dev/null
  dotnet publish "$ROOT/edge/IotHub.Edge" -c Release --self-contained --artifacts-path "$ART/aot" -o "$ART/edge" -v q -nologo >/dev/null
fi
HUB_DLL="$ART/bin/IotHub.Hub/release_linux-x64/IotHub.Hub.dll"
EDGE="$ART/edge/IotHub.Edge"

MQTT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet "$HUB_DLL" serve --data "$WORK/hub" --http 0 --mqtt "$MQTT_PORT" --tcp 0 --grpc 0 >"$WORK/hub.log" 2>&1 &
HUB_PID=$!
for _ in $(seq 1 600); do [ -f "$WORK/hub/endpoints.json" ] && break; sleep 0.1; done
HTTP=$(python3 -c "import json; print(json.load(open('$WORK/hub/endpoints.json'))['http'])")
GRPC=$(python3 -c "import json; print(json.load(open('$WORK/hub/endpoints.json'))['grpc'])")
ADMIN=$(python3 -c "import json; print(json.load(open('$WORK/hub/admin.json'))['adminToken'])")

# Register the fleet (every kind, in turn) and write the agent configs.
python3 - "$WORK" "$HTTP" "$ADMIN" "$MQTT_PORT" "$DEVICES" "$GRPC" <<'PY'
import json, sys, urllib.request
work, http, admin, port, n, grpc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
kinds = ["river-gauge", "manhole", "smart-pole", "train-car", "traffic-detector"]
devices = []
for i in range(n):
    kind = kinds[i % len(kinds)]
    dev_id = f"bench-{kind}-{i}"
    req = urllib.request.Request(f"{http}/api/v1/devices", data=json.dumps({"id": dev_id, "kind": kind}).encode(),
                                 headers={"Authorization": f"Token {admin}", "Content-Type": "application/json"}, method="POST")
    token = json.load(urllib.request.urlopen(req))["token"]
    devices.append({"id": dev_id, "kind": kind, "token": token})
def config(name, devs, interval):
    json.dump({"hub": f"mqtt://127.0.0.1:{port}", "grpcHub": grpc, "queue": {"path": f"{name}.db", "maxMegabytes": 1024},
               "uplink": {"maxBatchReadings": 500, "maxReadingsPerSecond": 1000000},
               "sampling": {"normalIntervalSeconds": interval, "fastIntervalSeconds": interval},
               "devices": devs}, open(f"{work}/{name}.json", "w"))
config("fleet", devices, 1)
config("live", devices, 1)
config("one", devices[:1], 1)
PY

echo "== backlog: $DEVICES devices, ${OUTAGE}s outage at ${INTERVAL}s"
"$EDGE" backlog --config "$WORK/fleet.json" --duration "$OUTAGE" --interval "$INTERVAL" 2>&1 | tail -3
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; } # user+system CPU seconds of a live process
echo "== replay (drain, ${UPLINK:-mqtt} uplink)"
cp "$WORK/fleet.db" "$WORK/fleet-copy.db"
HUB_CPU0=$(cpu_s "$HUB_PID")
TIMEFORMAT="agent CPU: %U s user + %S s system, %R s wall"
time ("$EDGE" run --config "$WORK/fleet.json" --drain --uplink "${UPLINK:-mqtt}" 2>&1 | grep -v " info " | tail -5)
echo "hub CPU during the replay: $(awk -v a="$HUB_CPU0" -v b="$(cpu_s "$HUB_PID")" 'BEGIN {printf "%.2f", b - a}') s"
echo "== hub stats after replay"
curl -s -H "Authorization: Token $ADMIN" "$HTTP/api/v1/stats"; echo
echo "== the same backlog again: every batch a resend, answered as a duplicate (the agent's own ceiling)"
HUB_CPU0=$(cpu_s "$HUB_PID")
time ("$EDGE" run --config "$WORK/fleet.json" --queue "$WORK/fleet-copy.db" --drain --uplink "${UPLINK:-mqtt}" 2>&1 | grep -v " info " | tail -1)
echo "hub CPU during the resend: $(awk -v a="$HUB_CPU0" -v b="$(cpu_s "$HUB_PID")" 'BEGIN {printf "%.2f", b - a}') s"
curl -s -H "Authorization: Token $ADMIN" "$HTTP/api/v1/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("pointsStored", s["pointsStored"], "duplicateBatches", s["duplicateBatches"], "duplicatePoints", s["duplicatePoints"])'

if [ -n "${SKIP_RSS:-}" ]; then exit 0; fi
peak_rss() { # PID SECONDS -> peak VmHWM in MB
  local pid=$1 secs=$2
  for _ in $(seq 1 $((secs * 10))); do sleep 0.1; done
  awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status"
}
echo "== RSS, live agent with $DEVICES devices sampling every 1 s (30 s)"
env ${AGENT_ENV:-} "$EDGE" run --config "$WORK/live.json" >"$WORK/live.log" 2>&1 &
PID=$!
echo "peak RSS $(peak_rss $PID 30) MB; $(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$PID/status) MB now"
kill -TERM $PID; wait $PID 2>/dev/null || true
echo "== RSS, live agent with 1 device sampling every 1 s (15 s)"
env ${AGENT_ENV:-} "$EDGE" run --config "$WORK/one.json" >"$WORK/one.log" 2>&1 &
PID=$!
echo "peak RSS $(peak_rss $PID 15) MB; $(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$PID/status) MB now"
kill -TERM $PID; wait $PID 2>/dev/null || true
echo "== the same, run as IL on the JIT (dotnet IotHub.Edge.dll, the build output) for comparison"
env ${AGENT_ENV:-} dotnet "$ART/bin/IotHub.Edge/release_linux-x64/IotHub.Edge.dll" run --config "$WORK/one.json" >"$WORK/one-jit.log" 2>&1 &
PID=$!
echo "peak RSS $(peak_rss $PID 15) MB; $(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$PID/status) MB now"
kill -TERM $PID; wait $PID 2>/dev/null || true
curl -s -H "Authorization: Token $ADMIN" "$HTTP/api/v1/stats"; echo
