#!/usr/bin/env bash
# CPU cost of the headless viewer on a synthetic 30 fps stream served by pi-server's file
# source (no encoding on the server side): prints the viewer's summary and its CPU time.
#
# Usage: scripts/viewer-cpu.sh [WIDTH HEIGHT [SECONDS]]   (default 1920 1080 30)
# Env: VIEWER_PORT (default: a free port).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
w=${1:-1920}
h=${2:-1080}
secs=${3:-30}
port=${VIEWER_PORT:-$(free_port)}
capture=${TMPDIR:-/tmp}/viewer-synth-${w}x${h}.mjpg

cargo build --release -p desktop-viewer -p pi-server --bin desktop-viewer --bin pi-server \
  --example synthetic_mjpg
# Kept between runs (it takes a while to encode); written under another name first, so that
# an interrupted run never leaves half a capture to be taken for a whole one.
if [ ! -f "$capture" ]; then
  on_exit "rm -f '$capture.part'"
  "$BIN_DIR/examples/synthetic_mjpg" "$capture.part" "$w" "$h" 90
  mv "$capture.part" "$capture"
fi

temp_dir work
start server "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source "file:$capture" --fps 30 \
  --log-level warn > "$work/server.log" 2>&1
wait_http "http://127.0.0.1:$port/healthz" pi-server "$server" "$work/server.log"
/usr/bin/time -f "viewer CPU: user %U s, sys %S s, over %e s" \
  "$BIN_DIR/desktop-viewer" --headless --duration "$secs" \
  "http://127.0.0.1:$port/stream.mjpg" | tail -1
