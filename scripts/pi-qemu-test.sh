#!/usr/bin/env bash
# pi-qemu-test.sh: the Raspberry Pi binaries of scripts/pi-build.sh, run on emulated Pi CPUs.
#
# qemu-user runs each ARM binary on this machine as the CPU model of a Pi:
#   pi-server-armv6    -cpu arm1176 (Pi Zero, Pi 1) and -cpu cortex-a7 (Pi 2)
#   pi-server-armv7    -cpu cortex-a7
#   pi-server-aarch64  -cpu cortex-a53 (Pi 3) and -cpu cortex-a72 (Pi 4), each against
#                      Debian bookworm's and bullseye's arm64 libraries (the userlands of
#                      Raspberry Pi OS bookworm and bullseye); the 32-bit ones are static.
# Each run checks that pi-server
#   1. serves the test pattern: our stream-probe (host, x86_64) decodes 640x480 frames;
#   2. streams from `--source exec:` (a shell loop that cats the recipe's frames, taken
#      as raw JPEGs from its committed capture, shared/tests/fixtures/seed-recipe.body):
#      /stats names the command's source and the probe decodes its frames;
#   3. stops cleanly on SIGTERM: exit status 0 within 5 s, no panic in its log.
#
# usage: scripts/pi-qemu-test.sh [armv6|armv7|aarch64 ...]     (default: those built)
# needs: qemu-user (apt-get install qemu-user), debootstrap (for the arm64 libraries,
#   fetched once into $PI_CACHE/rootfs, default /var/cache/pi-mjpeg), and root for that.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. scripts/pi-lib.sh

pi="$TARGET_DIR/pi"
for tool in qemu-arm qemu-aarch64 curl python3; do
  command -v "$tool" >/dev/null || die "$tool not found; apt-get install qemu-user curl python3"
done

temp_dir work
frames="$work/recipe.mjpg"
python3 shared/tests/fixtures/jpegs.py shared/tests/fixtures/seed-recipe.body "$frames"

wanted=("$@")
if [ ${#wanted[@]} -eq 0 ]; then
  for name in armv6 armv7 aarch64; do [ -x "$pi/pi-server-$name" ] && wanted+=("$name"); done
  [ ${#wanted[@]} -gt 0 ] || die "no binaries in $pi: run scripts/pi-build.sh first"
fi

echo "pi-qemu-test: building stream-probe (release, host)" >&2
cargo build --release --quiet -p e2e-tests --bin stream-probe
probe="$BIN_DIR/stream-probe"

# NAME QEMU CPU LIBS(- for none)
runs=()
for name in "${wanted[@]}"; do
  [ -x "$pi/pi-server-$name" ] || die "$pi/pi-server-$name is missing: run scripts/pi-build.sh $name"
  case $name in
    armv6) runs+=("armv6 qemu-arm arm1176 -" "armv6 qemu-arm cortex-a7 -") ;;
    armv7) runs+=("armv7 qemu-arm cortex-a7 -") ;;
    aarch64)
      for suite in bookworm bullseye; do
        # Unpacked, not configured: its /lib and /usr/lib are what qemu's -L needs.
        libs=$(pi_arm64_tree "$suite")
        runs+=("aarch64 qemu-aarch64 cortex-a53 $libs" "aarch64 qemu-aarch64 cortex-a72 $libs")
      done ;;
    *) die "usage: $0 [armv6|armv7|aarch64 ...]" ;;
  esac
done

temp_dir work
failures=0
check() { # OK WHAT
  if [ "$1" = 1 ]; then echo "ok    $2"; else echo "FAIL  $2"; failures=$((failures + 1)); fi
}

# Serve SOURCE with BINARY under QEMU/CPU/LIBS; probe it; stop it with SIGTERM.
serve_and_probe() { # LABEL NAME QEMU CPU LIBS SOURCE CHECK_SOURCE
  local label=$1 name=$2 qemu=$3 cpu=$4 libs=$5 source=$6 want_source=$7 port log server
  local libargs=() result stats status i
  [ "$libs" = - ] || libargs=(-L "$libs")
  port=$(free_port)
  log="$work/$label.log"
  start server "$qemu" -cpu "$cpu" "${libargs[@]}" "$pi/pi-server-$name" \
    --source "$source" --listen "127.0.0.1:$port" > "$log" 2>&1
  wait_http "http://127.0.0.1:$port/healthz" "pi-server ($label)" "$server" "$log" 60
  # One second of warm-up, then three seconds counted.
  "$probe" --addr "127.0.0.1:$port" --seconds 1 > /dev/null
  result=$("$probe" --addr "127.0.0.1:$port" --seconds 3) || true
  stats=$(curl -sf --max-time 5 "http://127.0.0.1:$port/stats") || stats='{"source": "(no /stats)"}'
  python3 - "$label" "$result" "$stats" "$want_source" <<'PY' || failures=$((failures + 1))
import json, sys
label, probe, stats, want = sys.argv[1], json.loads(sys.argv[2] or "{}"), json.loads(sys.argv[3]), sys.argv[4]
ok = True
def check(good, what):
    global ok
    print(("ok    " if good else "FAIL  ") + f"{label}: {what}")
    ok &= good
if not probe or "error" in probe:
    check(False, f"the probe failed: {probe.get('error', 'no output')}")
    sys.exit(1)
live = sum(s["live"] for s in probe["seconds"])
bad = sum(s["bad"] for s in probe["seconds"])
check(live > 0 and bad == 0, f"{live} frames decoded in 3 s, {bad} did not ({probe['sizes']})")
check(probe["sizes"] == ["640x480"], "frames are 640x480")
check(stats["source"].startswith(want), f"/stats source {stats['source']!r}")
sys.exit(0 if ok else 1)
PY
  # SIGTERM: pi-server ends its streams and exits 0 (qemu passes the signal and the status).
  kill -TERM "$server"
  for ((i = 0; i < 50; i++)); do lib_alive "$server" || break; sleep 0.1; done
  if lib_alive "$server"; then
    check 0 "$label: exits within 5 s of SIGTERM"
    stop "$server" KILL
  else
    wait "$server" && status=0 || status=$?
    check "$([ "$status" = 0 ] && echo 1)" "$label: SIGTERM: exit status $status after $((i * 100)) ms"
    stop "$server"
  fi
  if grep -qi panick "$log"; then check 0 "$label: no panic in the log"; tail -n 20 "$log" >&2; fi
}

for run in "${runs[@]}"; do
  read -r name qemu cpu libs <<<"$run"
  label="$name on $qemu -cpu $cpu"
  [ "$libs" = - ] || label="$label, $(basename "$libs") libraries"
  echo "--- $label"
  serve_and_probe "$label, test pattern" "$name" "$qemu" "$cpu" "$libs" test test
  serve_and_probe "$label, exec:" "$name" "$qemu" "$cpu" "$libs" \
    "exec:sh -c 'while cat $frames; do sleep 1; done'" exec
done

if [ "$failures" -gt 0 ]; then
  echo "pi-qemu-test: $failures failed" >&2
  exit 1
fi
echo "pi-qemu-test: all checks passed (${#runs[@]} CPU and library combinations)"
