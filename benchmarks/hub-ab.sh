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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

dotnet build -c Release hub/IotHub.Hub -v q -nologo >/dev/null
dotnet build -c Release benchmarks/IotHub.LoadTest -v q -nologo >/dev/null
hub_dll=$(ls hub/IotHub.Hub/bin/Release/net10.0/*/IotHub.Hub.dll | head -1)
load_dll=$(ls benchmarks/IotHub.LoadTest/bin/Release/net10.0/*/IotHub.LoadTest.dll | head -1)
run() { dotnet "$load_dll" "$@"; }
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }

mq_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages 1000000\nmax_inflight_messages 0\npersistence false\n' "$mq_port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 & pids+=($!)
mq_pid=$!
sleep 0.5
run mqtt --port "$mq_port" --devices 100 --messages 20 --points-per-message 10 >/dev/null

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-40s %12s %10s %10s %7s %10s %12s %10s\n' round setting http_pts/s mq_msgs/s hub_msgs/s ratio hub_us/msg big_pts/s load1
for round in $(seq "$rounds"); do
  for setting in "$@"; do
    data="$work/hub-$round-$RANDOM"
    # shellcheck disable=SC2086
    env IOTHUB_Ingest__MaxPointsPerSecondPerDevice=0 $setting dotnet "$hub_dll" serve --data "$data" --http 0 --mqtt 0 --tcp -1 --grpc -1 >"$data.log" 2>&1 &
    hub_pid=$!
    wait_hub "$data" "$data.log"
    http=$(hub_http "$data"); port=$(hub_mqtt_port "$data"); token=$(hub_token "$data")
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
