#!/usr/bin/env bash
# A/B of hub settings under the same loads, alternating: for each round and each setting (a list of
# environment assignments for the hub process only), a fresh hub gets compare.sh's warm-ups, then
# HTTP line protocol writes, mosquitto relaying the 10-point MQTT load (publish -> subscriber) right
# before the hub takes the same load, and the 1,000-point MQTT load. Everything on 127.0.0.1.
# Usage: benchmarks/hub-ab.sh ROUNDS 'SETTING A' 'SETTING B' ...
#   e.g. benchmarks/hub-ab.sh 2 'IOTHUB_Mqtt__Engine=mqttnet' 'IOTHUB_Mqtt__Engine=direct'
#        benchmarks/hub-ab.sh 2 'DOTNET_TieredCompilation=0' 'DOTNET_TieredCompilation=1'
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/hub-files.sh
rounds=$1; shift
work=$(mktemp -d /tmp/iothub-ab-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
build_hub_and_load
run() { dotnet "$load_dll" "$@"; }

start_mosquitto "$work"
run mqtt --port "$mq_port" --devices 100 --messages 20 --points-per-message 10 >/dev/null

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-40s %12s %10s %10s %7s %10s %12s %10s\n' round setting http_pts/s mq_msgs/s hub_msgs/s ratio hub_us/msg big_pts/s load1
for round in $(seq "$rounds"); do
  for setting in "$@"; do
    start_hub_with "$setting" "$work/hub-$round-$RANDOM"
    run http --url "$http/api/v2/write?bucket=b" --token "$token" --clients 4 --batches 10 --lines 5000 --first-detector 1000 >/dev/null
    run mqtt --port "$port" --hub-api "$http" --admin-token "$token" --id-prefix warm-det --devices 100 --messages 20 --points-per-message 100 >/dev/null
    h=$(run http --url "$http/api/v2/write?bucket=b" --token "$token" --clients 8 --batches 50 --lines 5000)
    mq=$(run mqtt --port "$mq_port" --devices 100 --messages 200 --points-per-message 10)
    c0=$(cpu_s "$hub_pid")
    hm=$(run mqtt --port "$port" --hub-api "$http" --admin-token "$token" --devices 100 --messages 200 --points-per-message 10)
    us=$(python3 -c "print(round(($(cpu_s "$hub_pid")-$c0)/20000*1e6))")
    hb=$(run mqtt --port "$port" --hub-api "$http" --admin-token "$token" --id-prefix big-det --devices 20 --messages 100 --points-per-message 1000)
    kill "$hub_pid"; wait "$hub_pid" || true
    printf '%-6s %-40s %12s %10s %10s %7s %10s %12s %10s\n' "$round" "$setting" "$(field points_per_s "$h")" "$(field msgs_per_s "$mq")" "$(field msgs_per_s "$hm")" \
      "$(python3 -c "print(round($(field msgs_per_s "$hm")/$(field msgs_per_s "$mq"),2))")" "$us" "$(field points_per_s "$hb")" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
