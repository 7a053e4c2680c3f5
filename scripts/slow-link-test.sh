#!/usr/bin/env bash
# slow-link-test.sh: frame age behind a real 1 Mbit/s link, and full rate beside it.
#
# A network namespace joined to this one by a veth pair is a second host; the host side of
# the pair is shaped with `tc qdisc ... tbf rate 1mbit` (the tc-tbf manual's own example:
# burst 32kbit, latency 400ms), so a client in the namespace has a slow link with a queue,
# as a thin Wi-Fi link has. The server streams the test pattern at 640x480 and 24 fps
# (about 3 Mbit/s, three times what the link carries). For 30 s, at the same time:
#   - a client in the namespace reads the stream over the slow link;
#   - a client on loopback reads it at full speed.
# Both are `mjpeg-load`, which takes each frame's age at arrival from X-Timestamp (or the
# recipe's JPEG comment). Checked (with --check, as CI runs it) for pi-server:
#   - the slow client's frame age: p99 under 300 ms;
#   - the slow link carries JPEG at 80 % or more of 1 Mbit/s;
#   - the loopback client gets at least 95 % of 24 fps;
#   - /stats counts frames skipped for the slow client's link.
# --recipe runs the original recipe (../shared/anchors/seed-recipe) through the same test,
# for the side-by-side figures in docs/benchmarks.md; its figures are reported, not checked.
#
# usage: sudo scripts/slow-link-test.sh [--check] [--recipe] [--seconds N]
# needs: root (ip netns, tc), iproute2. The namespace and links are removed on exit, also
# on failure or Ctrl-C.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check=
recipe=
seconds=30
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --recipe) recipe=1 ;;
    --seconds) seconds="$2"; shift ;;
    *) echo "usage: $0 [--check] [--recipe] [--seconds N]" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || die "needs root for ip netns and tc (run it with sudo)"
for tool in ip tc python3; do
  command -v "$tool" >/dev/null || die "$tool not found; apt-get install iproute2 python3"
done
if [ -n "$recipe" ]; then
  [ -d ../shared/anchors/seed-recipe ] ||
    die "../shared/anchors/seed-recipe (the team kit's original recipe) is absent; run without --recipe"
fi

cargo build --release --quiet -p pi-server --bin pi-server --bin mjpeg-load
server_bin="$BIN_DIR/pi-server"
load_bin="$BIN_DIR/mjpeg-load"

# Names unique to this run, so that two runs (or a stale one) never collide. Interface
# names are at most 15 characters.
tag="pm$$"
ns="$tag-slow"
host_if="${tag}h"
peer_if="${tag}p"
subnet="10.$(( $$ % 200 + 20 )).$(( ($$ / 200) % 250 )).0"
host_ip="${subnet%.0}.1"
peer_ip="${subnet%.0}.2"
temp_dir work

# Registered before they exist, so that a failure half way still removes them.
on_exit "ip netns del '$ns'"
on_exit "ip link del '$host_if'"
ip netns add "$ns"
ip link add "$host_if" type veth peer name "$peer_if"
ip link set "$peer_if" netns "$ns"
ip addr add "$host_ip/24" dev "$host_if"
ip link set "$host_if" up
ip -n "$ns" addr add "$peer_ip/24" dev "$peer_if"
ip -n "$ns" link set "$peer_if" up
ip -n "$ns" link set lo up
# The server's side of the pair: everything it sends to the namespace leaves at 1 Mbit/s.
tc qdisc add dev "$host_if" root tbf rate 1mbit burst 32kbit latency 400ms
echo "slow link: $host_ip (server side, tbf 1mbit) -> $peer_ip (namespace $ns)"

# run_one LABEL PORT: both clients at once against the server on PORT; writes
# $work/LABEL-slow.json and $work/LABEL-loopback.json.
run_one() {
  local label=$1 port=$2 slow fast
  start slow ip netns exec "$ns" "$load_bin" --url "http://$host_ip:$port/stream.mjpg" \
    --clients 1 --warmup 3 --duration "$seconds" --json --label "$label slow link" \
    > "$work/$label-slow.json"
  start fast "$load_bin" --url "http://127.0.0.1:$port/stream.mjpg" --clients 1 \
    --warmup 3 --duration "$seconds" --json --label "$label loopback" \
    > "$work/$label-loopback.json"
  # Half way, what the server says about its clients (pi-server only).
  if [ "$label" = pi-server ]; then
    pause $(( seconds / 2 + 3 ))
    python3 - "http://127.0.0.1:$port/stats" > "$work/$label-stats.json" <<'PY' || true
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
PY
  fi
  wait "$slow" || die "$label: the slow-link client failed"
  wait "$fast" || die "$label: the loopback client failed"
}

# --- pi-server ---------------------------------------------------------------------------
port=$(free_port)
start server "$server_bin" --listen "0.0.0.0:$port" --source test --size 640x480 --fps 24 \
  > "$work/pi-server.log" 2>&1
wait_http "http://127.0.0.1:$port/healthz" pi-server "$server" "$work/pi-server.log"
run_one pi-server "$port"
stop "$server"

# --- the original recipe -----------------------------------------------------------------
if [ -n "$recipe" ]; then
  port=$(free_port)
  PORT=$port start server env -C ../shared/anchors/seed-recipe python3 streaming.py \
    > "$work/recipe.log" 2>&1
  wait_http "http://127.0.0.1:$port/index.html" "the recipe" "$server" "$work/recipe.log"
  run_one recipe "$port"
  stop "$server"
fi

# --- report and check --------------------------------------------------------------------
python3 - "$work" "$check" "$seconds" <<'PY'
import json, os, sys
work, check, seconds = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
LINK_MBIT = 1.0
def load(name):
    path = os.path.join(work, name)
    return json.load(open(path)) if os.path.exists(path) else None
print(f"over {seconds} s, test pattern 640x480 at 24 fps; slow link = tbf 1mbit")
print(f"{'server':<10} {'client':<9} {'fps':>6} {'Mbit/s':>7} {'link used':>9} "
      f"{'age p50':>8} {'age p99':>8} {'age max':>8}")
for label in ("pi-server", "recipe"):
    for kind in ("slow", "loopback"):
        r = load(f"{label}-{kind}.json")
        if r is None:
            continue
        used = f"{r['mbit_per_s_total'] / LINK_MBIT * 100:.0f} %" if kind == "slow" else ""
        ms = lambda v: "-" if v is None else f"{v:.0f} ms"
        print(f"{label:<10} {kind:<9} {r['fps_min']:>6.1f} {r['mbit_per_s_total']:>7.3f} "
              f"{used:>9} {ms(r['latency_ms_p50']):>8} {ms(r['latency_ms_p99']):>8} "
              f"{ms(r['latency_ms_max']):>8}")
stats = load("pi-server-stats.json")
slow_client = None
if stats:
    for c in stats["clients"]:
        print(f"pi-server /stats: client {c['address']}: {c['fps']} fps, "
              f"skipped for slow link {c['frames_skipped_slow_link']}, "
              f"queued {c['queued_bytes']} B, queue delay {c['queue_delay_ms']} ms")
        if not c["address"].startswith("127."):
            slow_client = c
if check:
    slow, fast = load("pi-server-slow.json"), load("pi-server-loopback.json")
    failures = []
    if slow["latency_ms_p99"] is None or slow["latency_ms_p99"] >= 300:
        failures.append(f"slow-link frame age p99 {slow['latency_ms_p99']} ms, want < 300 ms")
    if slow["mbit_per_s_total"] < 0.8 * LINK_MBIT:
        failures.append(f"slow link used {slow['mbit_per_s_total']:.3f} Mbit/s, want >= 0.8")
    if fast["fps_min"] < 0.95 * 24:
        failures.append(f"loopback client {fast['fps_min']} fps, want >= 22.8")
    if slow_client is None or slow_client["frames_skipped_slow_link"] == 0:
        failures.append("/stats shows no frames skipped for the slow client's link")
    if failures:
        print("slow-link-test FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print("slow-link-test passed")
PY
