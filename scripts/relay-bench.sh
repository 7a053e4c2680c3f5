#!/usr/bin/env bash
# relay-bench.sh: origin -> relay -> many clients, on loopback.
#
# An origin pi-server (test pattern, 640x480 at 24 fps) and a relay pi-server
# (--source http://ORIGIN/stream.mjpg); mjpeg-load runs CLIENTS clients against the relay
# for SECONDS and reports each client's rate, the frame age from the origin's capture
# (X-Timestamp, passed through the relay) and the relay's CPU and memory. Midway the
# origin's /stats says how many clients it serves: the relay should be its only one.
# Then one client straight on the origin, for the age without the relay.
#
# usage: scripts/relay-bench.sh [CLIENTS] [SECONDS]     (default 200 clients, 10 s)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
clients=${1:-200}
seconds=${2:-10}

cargo build --release --quiet -p pi-server --bin pi-server --bin mjpeg-load
temp_dir work
origin_port=$(free_port)
start origin "$BIN_DIR/pi-server" --listen "127.0.0.1:$origin_port" --source test \
  --size 640x480 --fps 24 --log-level warn > "$work/origin.log" 2>&1
wait_http "http://127.0.0.1:$origin_port/healthz" origin "$origin" "$work/origin.log"
relay_port=$(free_port)
start relay "$BIN_DIR/pi-server" --listen "127.0.0.1:$relay_port" \
  --source "http://127.0.0.1:$origin_port/stream.mjpg" --log-level warn > "$work/relay.log" 2>&1
wait_http "http://127.0.0.1:$relay_port/healthz" relay "$relay" "$work/relay.log"

"$BIN_DIR/mjpeg-load" --url "http://127.0.0.1:$relay_port/stream.mjpg" --clients "$clients" \
  --duration "$seconds" --pid "$relay" --label "relay, $clients clients" &
load=$!
pause "$(python3 -c "print(2 + $seconds / 2)")"
python3 - "http://127.0.0.1:$origin_port/stats" <<'PY'
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1], timeout=5))
print(f"origin: {s['client_count']} client(s) while the relay serves the crowd, "
      f"{s['fps_source']} fps at the source")
PY
wait "$load"
"$BIN_DIR/mjpeg-load" --url "http://127.0.0.1:$origin_port/stream.mjpg" --clients 1 \
  --duration "$seconds" --label "origin direct, 1 client"
