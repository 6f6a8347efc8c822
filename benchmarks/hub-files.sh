# Sourced by the benchmark scripts: reading what a started hub writes into its data folder.
# wait_hub DATA LOG: waits up to 60 s for DATA/endpoints.json; if it never comes, prints LOG and fails.
wait_hub() {
  for _ in $(seq 600); do [ -f "$1/endpoints.json" ] && return 0; sleep 0.1; done
  echo "hub did not start:"; cat "$2"; return 1
}
# hub_http DATA, hub_mqtt_port DATA, hub_token DATA: its HTTP base URL, MQTT port, admin token.
hub_http() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['http'])" "$1/endpoints.json"; }
hub_mqtt_port() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['mqtt'].rsplit(':',1)[1])" "$1/endpoints.json"; }
hub_token() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['adminToken'])" "$1/admin.json"; }
