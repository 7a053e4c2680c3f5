#!/usr/bin/env bash
# Screenshot of the desktop viewer in a real window (Xvfb + Mesa software GL) watching
# pi-server's test source; writes docs/viewer.png.
#
# Needs: apt-get install xvfb libgl1-mesa-dri libegl1 libxkbcommon-x11-0 imagemagick
# Usage: scripts/viewer-screenshot.sh [--grid] [OUT.png]   (builds both binaries in release)
# Also writes OUT-reconnecting.png: the same window a few seconds after pi-server stops.
# --grid: four pi-servers (the test pattern, its busy and changing scenes, and the
# recipe's capture replayed) in one window, a 2x2 grid; writes docs/grid.png, and
# OUT-offline.png after the third server stops.
# Env: VIEWER_DISPLAY (default 77), VIEWER_PORT (default: a free port), VIEWER_SETTLE_SECS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
grid=0
if [ "${1:-}" = --grid ]; then
  grid=1
  shift
fi
out=${1:-docs/viewer.png}
[ "$grid" = 1 ] && out=${1:-docs/grid.png}
display=:${VIEWER_DISPLAY:-77}
port=${VIEWER_PORT:-$(free_port)}

cargo build --release -p desktop-viewer -p pi-server

temp_dir work
start xvfb Xvfb "$display" -screen 0 1280x800x24 > "$work/xvfb.log" 2>&1
wait_until 10 "Xvfb $display" "$xvfb" "$work/xvfb.log" test -S "/tmp/.X11-unix/X${display#:}"

shoot() { # FILE: the window's area of the screen
  DISPLAY=$display import -window root -crop 1024x720+0+0 "$1"
  echo "wrote $1"
}

if [ "$grid" = 1 ]; then
  urls=()
  sources=(test test:busy test:changing "file:$PWD/shared/tests/fixtures/seed-recipe.body")
  for i in 0 1 2 3; do
    p=$(free_port)
    start "server$i" "$BIN_DIR/pi-server" --listen "127.0.0.1:$p" --source "${sources[$i]}" \
      --size 640x480 --fps 24 --log-level warn > "$work/server$i.log" 2>&1
    pid_var="server$i"
    wait_http "http://127.0.0.1:$p/healthz" "server $i" "${!pid_var}" "$work/server$i.log"
    urls+=("http://127.0.0.1:$p/stream.mjpg")
  done
  DISPLAY=$display start viewer "$BIN_DIR/desktop-viewer" "${urls[@]}" > "$work/viewer.log" 2>&1
  pause "${VIEWER_SETTLE_SECS:-10}"
  shoot "$out"
  stop "$server2"
  pause 3
  shoot "${out%.png}-offline.png"
  exit 0
fi
start server "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source test --size 1280x720 \
  --fps 30 > "$work/server.log" 2>&1
wait_http "http://127.0.0.1:$port/healthz" pi-server "$server" "$work/server.log"
DISPLAY=$display start viewer "$BIN_DIR/desktop-viewer" "http://127.0.0.1:$port/stream.mjpg" \
  > "$work/viewer.log" 2>&1
# Long enough for the overlay's chart to fill a little and the rates to settle.
pause "${VIEWER_SETTLE_SECS:-20}"
shoot "$out"

stop "$server"
# What the window shows a few seconds into the outage (the viewer is reconnecting).
pause 4
shoot "${out%.png}-reconnecting.png"
