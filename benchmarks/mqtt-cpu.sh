#!/usr/bin/env bash
# The hub's CPU per MQTT message, in pairs with mosquitto: for each round and each setting (environment
# assignments for the hub process only), a fresh hub gets a warm-up (100 devices x 200 messages), then
# mosquitto relays 100 devices x MSGS messages of 10 points (publish -> subscriber) and the hub takes the
# same load (QoS 1, each device waits for its PUBACK). Only MQTT: no HTTP backlog is being applied meanwhile.
# hub_us/msg = the hub's CPU over the measured load / messages. A relay run over 60 s is reported as a
# timeout (the load tool's subscriber sometimes stalls against mosquitto on this machine).
# Usage: benchmarks/mqtt-cpu.sh ROUNDS 'SETTING A' 'SETTING B' ...   (MSGS=1000 by default)
#   e.g. benchmarks/mqtt-cpu.sh 3 'IOTHUB_Mqtt__Engine=mqttnet' 'IOTHUB_Mqtt__Engine=direct'
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/hub-files.sh
rounds=$1; shift
msgs=${MSGS:-1000}
work=$(mktemp -d /tmp/iothub-mqcpu-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
build_hub_and_load

start_mosquitto "$work"

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); 100 devices x $msgs messages x 10 points"
printf '%-6s %-50s %10s %9s %10s %7s %10s %10s %7s\n' round setting mq_msgs/s mq_us/msg hub_msgs/s ratio hub_us/msg client_cpu load1
for round in $(seq "$rounds"); do
  for setting in "$@"; do
    start_hub_with "$setting" "$work/hub-$round-$RANDOM"
    dotnet "$load_dll" mqtt --port "$port" --hub-api "$http" --admin-token "$token" --id-prefix warm --devices 100 --messages 200 --points-per-message 10 >/dev/null
    c0=$(cpu_s "$mq_pid")
    mq=$(timeout 60 dotnet "$load_dll" mqtt --port "$mq_port" --devices 100 --messages "$msgs" --points-per-message 10 || echo "timeout msgs_per_s=0")
    mq_us=$(python3 -c "print(round(($(cpu_s "$mq_pid")-$c0)/(100*$msgs)*1e6))")
    c0=$(cpu_s "$hub_pid")
    hm=$(/usr/bin/time -f "client_cpu_s=%e %U %S" dotnet "$load_dll" mqtt --port "$port" --hub-api "$http" --admin-token "$token" --devices 100 --messages "$msgs" --points-per-message 10 2>&1)
    us=$(python3 -c "print(round(($(cpu_s "$hub_pid")-$c0)/(100*$msgs)*1e6))")
    client=$(grep -o 'client_cpu_s=.*' <<<"$hm" | awk '{printf "%.2f s", $2+$3}')
    kill "$hub_pid"; wait "$hub_pid" || true
    mq_rate=$(field msgs_per_s "$mq"); hub_rate=$(field msgs_per_s "$(head -1 <<<"$hm")")
    ratio=$(python3 -c "print(round($hub_rate/$mq_rate,2) if $mq_rate else '-')")
    printf '%-6s %-50s %10s %9s %10s %7s %10s %10s %7s\n' "$round" "$setting" "$mq_rate" "$mq_us" "$hub_rate" "$ratio" "$us" "$client" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
