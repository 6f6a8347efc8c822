# Sourced by the benchmark scripts: building the hub and the load tool, free ports, and reading what a started hub writes into its data folder.
# wait_hub DATA LOG: waits up to 60 s for DATA/endpoints.json; if it never comes, prints LOG and fails.
wait_hub() {
  for _ in $(seq 600); do [ -f "$1/endpoints.json" ] && return 0; sleep 0.1; done
  echo "hub did not start:"; cat "$2"; return 1
}
# hub_http DATA, hub_mqtt_port DATA, hub_token DATA: its HTTP base URL, MQTT port, admin token.
hub_http() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['http'])" "$1/endpoints.json"; }
hub_mqtt_port() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['mqtt'].rsplit(':',1)[1])" "$1/endpoints.json"; }
hub_token() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['adminToken'])" "$1/admin.json"; }
# build_hub_and_load: builds the hub and the load tool (Release) and sets hub_dll and load_dll.
build_hub_and_load() {
  dotnet build -c Release hub/IotHub.Hub -v q -nologo >/dev/null
  dotnet build -c Release benchmarks/IotHub.LoadTest -v q -nologo >/dev/null
  hub_dll=$(ls hub/IotHub.Hub/bin/Release/net10.0/*/IotHub.Hub.dll | head -1)
  load_dll=$(ls benchmarks/IotHub.LoadTest/bin/Release/net10.0/*/IotHub.LoadTest.dll | head -1)
}
# free_port: a free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# cpu_s PID: CPU seconds (user + system) the process used so far. field NAME LINE: the value of NAME=... in a load tool line.
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }
# start_mosquitto WORK: mosquitto relaying in memory on a free port (mq_port, mq_pid set; added to pids).
start_mosquitto() {
  mq_port=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nmax_queued_messages 1000000\nmax_inflight_messages 0\npersistence false\n' "$mq_port" >"$1/mosquitto.conf"
  mosquitto -c "$1/mosquitto.conf" >"$1/mosquitto.log" 2>&1 & pids+=($!)
  mq_pid=$!
  sleep 0.5
}
# start_hub_with 'SETTING' DATA: a hub (rate limit off, plus the environment assignments SETTING) on free ports
# with its data in DATA; sets hub_pid, http, port (MQTT) and token once it listens.
start_hub_with() {
  # shellcheck disable=SC2086
  env IOTHUB_Ingest__MaxPointsPerSecondPerDevice=0 $1 dotnet "$hub_dll" serve --data "$2" --http 0 --mqtt 0 --tcp -1 --grpc -1 >"$2.log" 2>&1 &
  hub_pid=$!
  wait_hub "$2" "$2.log"
  http=$(hub_http "$2"); port=$(hub_mqtt_port "$2"); token=$(hub_token "$2")
}
