#!/usr/bin/env bash
# Screenshot of the desktop viewer in a real window (Xvfb + Mesa software GL) watching
# pi-server's test source; writes docs/viewer.png.
#
# Needs: apt-get install xvfb libgl1-mesa-dri libegl1 libxkbcommon-x11-0 imagemagick
# Usage: scripts/viewer-screenshot.sh [OUT.png]   (builds both binaries in release)
# Also writes OUT-reconnecting.png: the same window a few seconds after pi-server stops.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/viewer.png}
display=:${VIEWER_DISPLAY:-77}
port=${VIEWER_PORT:-18080}

cargo build --release -p desktop-viewer -p pi-server

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
pids+=($!)
target/release/pi-server --listen "127.0.0.1:$port" --source test --size 1280x720 --fps 30 \
  >/dev/null 2>&1 &
server=$!
pids+=($server)
sleep 1
DISPLAY=$display target/release/desktop-viewer "http://127.0.0.1:$port/stream.mjpg" \
  >/dev/null 2>&1 &
pids+=($!)
# Long enough for the overlay's chart to fill a little and the rates to settle.
sleep "${VIEWER_SETTLE_SECS:-20}"
DISPLAY=$display import -window root -crop 1024x720+0+0 "$out"
echo "wrote $out"

kill "$server"
sleep 4
DISPLAY=$display import -window root -crop 1024x720+0+0 "${out%.png}-reconnecting.png"
echo "wrote ${out%.png}-reconnecting.png"
