#!/usr/bin/env bash
# MQTTnet on Kestrel's pipelines transport (the hub's default) against MQTTnet's own socket server
# (Mqtt:Transport=sockets): the same durable MQTT QoS 1 load on each, alternating, twice.
# Usage: benchmarks/mqtt-transport.sh [quick]
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/hub-files.sh
scale=${1:-full}
work=$(mktemp -d /tmp/iothub-mqtt-transport-XXXXXX)
hub_pid=
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

build_hub_and_load
if [ "$scale" = quick ]; then small=(--devices 100 --messages 20 --points-per-message 10); big=(--devices 10 --messages 20 --points-per-message 1000)
else small=(--devices 100 --messages 200 --points-per-message 10); big=(--devices 20 --messages 100 --points-per-message 1000); fi

# One run on a fresh hub with the given transport: warm-up, then the two measured loads.
measure() {
  local transport=$1 round=$2 data="$work/$1-$2"
  IOTHUB_Mqtt__Transport=$transport IOTHUB_Ingest__MaxPointsPerSecondPerDevice=0 \
    dotnet "$hub_dll" serve --data "$data" --http 0 --mqtt 0 --tcp -1 --grpc -1 >"$work/hub-$transport-$round.log" 2>&1 & hub_pid=$!
  wait_hub "$data" "$work/hub-$transport-$round.log"
  local http mqtt token
  http=$(hub_http "$data")
  mqtt=$(hub_mqtt_port "$data")
  token=$(hub_token "$data")
  dotnet "$load_dll" mqtt --port "$mqtt" --hub-api "$http" --admin-token "$token" --id-prefix warm --devices 100 --messages 20 --points-per-message 100 >/dev/null
  echo "$transport round $round small: $(dotnet "$load_dll" mqtt --port "$mqtt" --hub-api "$http" --admin-token "$token" --id-prefix small "${small[@]}")"
  echo "$transport round $round big:   $(dotnet "$load_dll" mqtt --port "$mqtt" --hub-api "$http" --admin-token "$token" --id-prefix big "${big[@]}")"
  echo "$transport round $round hub rss_kb=$(awk '/VmHWM/{print $2}' /proc/$hub_pid/status)"
  kill "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; hub_pid=
}

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
  measure kestrel $round
  measure sockets $round
done
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
