#!/usr/bin/env bash
# Same data, same client, same run: the hub against Debian's victoria-metrics (HTTP line
# protocol writes) and mosquitto (MQTT QoS 1 publish -> subscriber). Everything on 127.0.0.1.
# Usage: benchmarks/compare.sh [quick]   (needs: apt-get install victoria-metrics mosquitto)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/hub-files.sh
scale=${1:-full}
work=$(mktemp -d /tmp/iothub-compare-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

build_hub_and_load

vm_port=$(free_port)
victoria-metrics -httpListenAddr=127.0.0.1:$vm_port -storageDataPath="$work/vm" -loggerLevel=ERROR >"$work/vm.log" 2>&1 & pids+=($!)
mq_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages 1000000\nmax_inflight_messages 0\npersistence false\n' "$mq_port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 & pids+=($!)
# The per-device rate limit (1,000 points/s by default) is off: 20 devices are to carry 1 M points/s.
IOTHUB_Ingest__MaxPointsPerSecondPerDevice=0 dotnet "$hub_dll" serve --data "$work/hub" --http 0 --mqtt 0 --tcp -1 --grpc -1 >"$work/hub.log" 2>&1 & pids+=($!)
wait_hub "$work/hub" "$work/hub.log"
hub_http=$(hub_http "$work/hub")
hub_mqtt=$(hub_mqtt_port "$work/hub")
token=$(hub_token "$work/hub")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$vm_port/health" >/dev/null && break; sleep 0.1; done

if [ "$scale" = quick ]; then http_args=(--clients 4 --batches 10 --lines 5000); mqtt_small=(--devices 100 --messages 20 --points-per-message 10); mqtt_big=(--devices 10 --messages 20 --points-per-message 1000)
else http_args=(--clients 8 --batches 50 --lines 5000); mqtt_small=(--devices 100 --messages 200 --points-per-message 10); mqtt_big=(--devices 20 --messages 100 --points-per-message 1000); fi

run() { dotnet "$load_dll" "$@"; }

# Warm-up, not measured: every side gets a smaller run of the same load first, so the hub is not
# measured while .NET is still compiling its hot code (tiered JIT) and no side on cold caches.
# Other detectors and device ids than the measured runs, so those are not late writes.
run http --url "http://127.0.0.1:$vm_port/api/v2/write?bucket=b" --clients 4 --batches 10 --lines 5000 --first-detector 1000 >/dev/null
run http --url "$hub_http/api/v2/write?bucket=b" --token "$token" --clients 4 --batches 10 --lines 5000 --first-detector 1000 >/dev/null
run mqtt --port "$mq_port" --devices 100 --messages 20 --points-per-message 10 >/dev/null
run mqtt --port "$hub_mqtt" --hub-api "$hub_http" --admin-token "$token" --id-prefix warm-det --devices 100 --messages 20 --points-per-message 100 >/dev/null

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
vm=$(run http --url "http://127.0.0.1:$vm_port/api/v2/write?bucket=b" "${http_args[@]}"); echo "$vm"
hub=$(run http --url "$hub_http/api/v2/write?bucket=b" --token "$token" "${http_args[@]}"); echo "$hub"
rate() { field points_per_s "$1"; }
echo "ratio http hub/victoria-metrics = $(python3 -c "print(round($(rate "$hub")/$(rate "$vm"),2))")"

# CPU seconds (user + system) each process used in each run (cpu_s, from hub-files.sh): where the 2 cores went.
mq_pid=${pids[1]}; hub_pid=${pids[2]}
c0=$(cpu_s "$mq_pid"); mq=$(run mqtt --port "$mq_port" "${mqtt_small[@]}"); echo "$mq mosquitto_cpu_s=$(python3 -c "print(round($(cpu_s "$mq_pid")-$c0,2))")"
c0=$(cpu_s "$hub_pid"); hubm=$(run mqtt --port "$hub_mqtt" --hub-api "$hub_http" --admin-token "$token" "${mqtt_small[@]}"); echo "$hubm hub_cpu_s=$(python3 -c "print(round($(cpu_s "$hub_pid")-$c0,2))")"
echo "ratio mqtt qos1 hub(durable)/mosquitto(relay) = $(python3 -c "print(round($(rate "$hubm")/$(rate "$mq"),2))")"
c0=$(cpu_s "$hub_pid"); hubb=$(run mqtt --port "$hub_mqtt" --hub-api "$hub_http" --admin-token "$token" --id-prefix big-det "${mqtt_big[@]}"); echo "$hubb hub_cpu_s=$(python3 -c "print(round($(cpu_s "$hub_pid")-$c0,2))")"
echo "hub rss_kb=$(awk '/VmHWM/{print $2}' /proc/$hub_pid/status)"
