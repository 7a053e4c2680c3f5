#!/usr/bin/env bash
# relay-peers.sh: pi-server relaying each MJPEG server people run, on loopback.
#
# For each peer found here, an origin on one port, `pi-server --source http://ORIGIN/PATH`
# on another, and the headless viewer on the relay for SECONDS: the frames it got, their
# rate, corrupt frames and reconnects; for pi-server origins also how many clients the
# origin saw (the relay's one). Peers: pi-server itself, ffmpeg's mpjpeg server (ffmpeg),
# the original picamera recipe (../shared/anchors/seed-recipe, when present), and
# mjpg-streamer (when built: scripts/bench-server.sh --build-peers). ustreamer is not here:
# it needs a V4L2 camera.
#
# usage: scripts/relay-peers.sh [SECONDS]     (default 6)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
seconds=${1:-6}
recipe_dir=${RECIPE_DIR:-../shared/anchors/seed-recipe}
mjpg_streamer=${MJPG_STREAMER:-$TARGET_DIR/peers/mjpg-streamer}

cargo build --release --quiet -p pi-server --bin pi-server
cargo build --release --quiet -p desktop-viewer --bin desktop-viewer
temp_dir work

# Relays ORIGIN_URL and reports what a viewer of the relay got. NAME ORIGIN_URL
relay_and_watch() {
  local name=$1 origin=$2 port
  port=$(free_port)
  start relay "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source "$origin" \
    --log-level warn > "$work/relay-$name.log" 2>&1
  wait_http "http://127.0.0.1:$port/healthz" "relay of $name" "$relay" "$work/relay-$name.log"
  "$BIN_DIR/desktop-viewer" --headless --json --duration "$seconds" \
    "http://127.0.0.1:$port/stream.mjpg" > "$work/viewer-$name.json" || true
  stop "$relay"
  python3 - "$name" "$work/viewer-$name.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
s = [json.loads(l) for l in open(path) if '"summary"' in l][-1]
print(f"{name:<16} {s['frames']:>5} frames  {s['fps']:5.1f} fps  {s['resolution']}  "
      f"corrupt {s['corrupt']}  reconnects {s['reconnects']}")
PY
}

echo "peer             frames through the relay, to one viewer, in ${seconds} s"
# pi-server as the origin: it also says how many clients it serves.
origin_port=$(free_port)
start origin "$BIN_DIR/pi-server" --listen "127.0.0.1:$origin_port" --source test \
  --size 640x480 --fps 24 --log-level warn > "$work/origin.log" 2>&1
wait_http "http://127.0.0.1:$origin_port/healthz" "pi-server origin" "$origin" "$work/origin.log"
relay_and_watch pi-server "http://127.0.0.1:$origin_port/stream.mjpg"
stop "$origin"

if command -v ffmpeg >/dev/null; then
  p=$(free_port)
  # -listen 1 serves one connection, so no port check (it would use it up): a second.
  start ffmpeg_origin ffmpeg -hide_banner -loglevel error -re -f lavfi \
    -i testsrc2=size=640x480:rate=24 -c:v mjpeg -q:v 5 -f mpjpeg -listen 1 \
    "http://127.0.0.1:$p/stream" > "$work/ffmpeg.log" 2>&1
  pause 1
  relay_and_watch ffmpeg-mpjpeg "http://127.0.0.1:$p/stream"
  stop "$ffmpeg_origin"
else
  echo "ffmpeg-mpjpeg    not run: needs ffmpeg (apt-get install ffmpeg)"
fi

if [ -f "$recipe_dir/streaming.py" ]; then
  p=$(free_port)
  PORT=$p start recipe env -C "$recipe_dir" python3 streaming.py > "$work/recipe.log" 2>&1
  wait_http "http://127.0.0.1:$p/index.html" "the recipe" "$recipe" "$work/recipe.log"
  relay_and_watch recipe "http://127.0.0.1:$p/stream.mjpg"
  stop "$recipe"
else
  echo "recipe           not run: ../shared/anchors/seed-recipe is absent"
fi

if [ -x "$mjpg_streamer/bin/mjpg_streamer" ]; then
  mkdir -p "$work/frames"
  # Its input_file plays a folder of JPEGs: the recipe's committed capture, one file each.
  python3 shared/tests/fixtures/jpegs.py shared/tests/fixtures/seed-recipe.body --folder "$work/frames"
  p=$(free_port)
  plugins="$mjpg_streamer/lib/mjpg-streamer"
  start mjpg "$mjpg_streamer/bin/mjpg_streamer" \
    -i "$plugins/input_file.so -e -d 0.041667 -f $work/frames" \
    -o "$plugins/output_http.so -l 127.0.0.1 -p $p -n" > "$work/mjpg.log" 2>&1
  wait_http "http://127.0.0.1:$p/?action=snapshot" mjpg-streamer "$mjpg" "$work/mjpg.log"
  relay_and_watch mjpg-streamer "http://127.0.0.1:$p/?action=stream"
  stop "$mjpg"
else
  echo "mjpg-streamer    not run: build it with scripts/bench-server.sh --build-peers"
fi
