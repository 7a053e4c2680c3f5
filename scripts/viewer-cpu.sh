#!/usr/bin/env bash
# CPU cost of the headless viewer on a synthetic 30 fps stream served by pi-server's file
# source (no encoding on the server side): prints the viewer's summary and its CPU time.
#
# Usage: scripts/viewer-cpu.sh [WIDTH HEIGHT [SECONDS]]   (default 1920 1080 30)
set -euo pipefail
cd "$(dirname "$0")/.."
w=${1:-1920}
h=${2:-1080}
secs=${3:-30}
port=${VIEWER_PORT:-18081}
capture=${TMPDIR:-/tmp}/viewer-synth-${w}x${h}.mjpg

cargo build --release -p desktop-viewer -p pi-server --bin desktop-viewer --bin pi-server \
  --example synthetic_mjpg
[ -f "$capture" ] || target/release/examples/synthetic_mjpg "$capture" "$w" "$h" 90

target/release/pi-server --listen "127.0.0.1:$port" --source "file:$capture" --fps 30 \
  --log-level warn &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 1
/usr/bin/time -f "viewer CPU: user %U s, sys %S s, over %e s" \
  target/release/desktop-viewer --headless --duration "$secs" \
  "http://127.0.0.1:$port/stream.mjpg" | tail -1
