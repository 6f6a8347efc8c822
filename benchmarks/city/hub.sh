# Sourced by the city benchmarks: the built programs and a fresh hub for one run.
# start_hub: starts `IotHub.Hub serve` on free loopback ports (TCP and gRPC off) with its data in
# $WORK/data, sets HUB to its pid, stops it when the script exits, and waits for endpoints.json.
HUB_DLL=${HUB_DLL:-/tmp/art-city-hub/bin/IotHub.Hub/release_linux-x64/IotHub.Hub.dll}
SIM_DLL=${SIM_DLL:-/tmp/art-city/bin/IotHub.CitySim/release_linux-x64/IotHub.CitySim.dll}

start_hub() {
  mkdir -p "$WORK/data"
  dotnet "$HUB_DLL" serve --data "$WORK/data" --http 0 --mqtt 0 --tcp -1 --grpc -1 > "$WORK/hub.log" 2>&1 &
  HUB=$!
  trap 'kill -TERM $HUB 2>/dev/null || true; wait $HUB 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do [[ -s "$WORK/data/endpoints.json" ]] && break; sleep 0.2; done
}
