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
