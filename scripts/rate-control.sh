#!/usr/bin/env bash
# rate-control.sh: how well pi-server holds --target-kbps, as the headless viewer sees it.
#
# usage: scripts/rate-control.sh [SECONDS] [SIZE] [TARGET_KBPS] [SOURCE]
#   defaults: 60 s, 320x240, 1000 kbit/s, test:changing (calm and busy in turns of 10 s)
# Prints each second's kbit/s (marked ! outside ±10 %) and the viewer's summary: the share
# of one-second windows within ±10 % after the first 5 s. Release builds; a free port.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
seconds=${1:-60}; size=${2:-320x240}; target=${3:-1000}; source=${4:-test:changing}
cargo build --release --quiet -p pi-server -p desktop-viewer
temp_dir work
port=$(free_port)
start server "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source "$source" --size "$size" \
  --fps 24 --target-kbps "$target" > "$work/server.log" 2>&1
wait_http "http://127.0.0.1:$port/healthz" pi-server "$server" "$work/server.log"
"$BIN_DIR/desktop-viewer" --headless --json --duration "$seconds" --target-kbps "$target" \
  "http://127.0.0.1:$port/stream.mjpg" | python3 -c '
import json, sys
line = []
for raw in sys.stdin:
    v = json.loads(raw)
    if v["type"] == "stats":
        line.append("%d%s" % (round(v["kbps"]), "" if v["in_band"] else "!"))
    else:
        print("per second:", " ".join(line))
        print("fps %.1f, kbit/s %.0f, in band %.1f%% of %d s (after the first 5 s)" % (
            v["fps"], v["kbps"], 100 * (v["in_band_share"] or 0), v["band_seconds"]))
'
