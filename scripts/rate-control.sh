#!/usr/bin/env bash
# rate-control.sh: how well pi-server holds --target-kbps, as the headless viewer sees it.
#
# usage: scripts/rate-control.sh [SECONDS] [SIZE] [TARGET_KBPS] [SOURCE]
#   defaults: 60 s, 320x240, 1000 kbit/s, test:changing (calm and busy in turns of 10 s)
# Prints each second's kbit/s (marked ! outside ±10 %) and the viewer's summary: the share
# of one-second windows within ±10 % after the first 5 s. Release builds; port 18777.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}; size=${2:-320x240}; target=${3:-1000}; source=${4:-test:changing}
cargo build --release --quiet -p pi-server -p desktop-viewer
bin="${CARGO_TARGET_DIR:-target}/release"
"$bin/pi-server" --listen 127.0.0.1:18777 --source "$source" --size "$size" --fps 24 \
  --target-kbps "$target" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 0.5
"$bin/desktop-viewer" --headless --json --duration "$seconds" --target-kbps "$target" \
  http://127.0.0.1:18777/stream.mjpg | python3 -c '
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
