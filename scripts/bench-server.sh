#!/usr/bin/env bash
# Load benchmark of pi-server, and of the original recipe through the same load tool.
#
#   scripts/bench-server.sh [SECONDS] [CLIENT COUNTS...]      (defaults: 10 s; 1 10 100 500)
#
# Everything runs on loopback. For each client count it starts a fresh server, runs
# `mjpeg-load` (pi-server/src/bin/mjpeg-load.rs) for a warm-up plus SECONDS, and records
# per-client FPS, capture-to-receipt latency, the server's CPU time over the measured window
# (/proc/PID/stat) and its peak RSS (VmHWM). Series:
#   pattern-30  pi-server --source test, 640x480 at 30 fps (JPEG encoding included)
#   file-30     pi-server replaying the recipe's own frames (640x480) at 30 fps
#   file-24     the same at 24 fps: like for like with the recipe
#   recipe-24   the recipe's streaming.py with its stand-in camera (24 fps, fixed)
# Results: $CARGO_TARGET_DIR (or target)/bench-server/results.jsonl (one JSON object per run) and a Markdown table
# on stdout. Needs python3 (the recipe; also formats the table) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${1:-10}
shift || true
COUNTS=("$@")
[ ${#COUNTS[@]} -eq 0 ] && COUNTS=(1 10 100 500)
WARMUP=${WARMUP:-3}
SERIES=${SERIES:-"pattern-30 file-30 file-24 recipe-24"}
if [ ! -d ../shared/anchors/seed-recipe ]; then
  echo "bench-server.sh: ../shared/anchors/seed-recipe (the team kit's original recipe) is" \
    "absent; it is the anchor every figure is compared against, so nothing was run." >&2
  exit 1
fi
RECIPE_DIR=$(cd ../shared/anchors/seed-recipe && pwd)
FRAMES="$RECIPE_DIR/frames.mjpg"
BIN="${CARGO_TARGET_DIR:-target}/release"
OUT="${CARGO_TARGET_DIR:-target}/bench-server"
PORT=${PORT:-18600}

if [ "${BUILD:-1}" = 1 ]; then
    cargo build --release -p pi-server --bins >&2
fi
mkdir -p "$OUT"
: > "$OUT/results.jsonl"
# 500 clients plus the server's sockets need more than the usual 1024 descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true

SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -INT "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT

wait_ready() { # URL
    for _ in $(seq 100); do
        curl -sf -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    echo "server did not come up at $1" >&2
    return 1
}

start_server() { # SERIES PORT
    case "$1" in
        pattern-30) "$BIN/pi-server" --listen "127.0.0.1:$2" --log-level warn \
                        --source test --size 640x480 --fps 30 & ;;
        file-30)    "$BIN/pi-server" --listen "127.0.0.1:$2" --log-level warn \
                        --source "file:$FRAMES" --fps 30 & ;;
        file-24)    "$BIN/pi-server" --listen "127.0.0.1:$2" --log-level warn \
                        --source "file:$FRAMES" --fps 24 & ;;
        recipe-24)  (cd "$RECIPE_DIR" && PORT=$2 exec python3 streaming.py 2>/dev/null) & ;;
        *) echo "unknown series $1" >&2; exit 2 ;;
    esac
    SERVER_PID=$!
    case "$1" in
        recipe-24) wait_ready "http://127.0.0.1:$2/index.html" ;;
        *)         wait_ready "http://127.0.0.1:$2/healthz" ;;
    esac
}

for series in $SERIES; do
    for n in "${COUNTS[@]}"; do
        PORT=$((PORT + 1))
        start_server "$series" "$PORT"
        echo "== $series, $n clients, ${WARMUP}s warm-up + ${SECONDS_PER_RUN}s" >&2
        "$BIN/mjpeg-load" --url "http://127.0.0.1:$PORT/stream.mjpg" --clients "$n" \
            --duration "$SECONDS_PER_RUN" --warmup "$WARMUP" --pid "$SERVER_PID" \
            --label "$series" --json | tee -a "$OUT/results.jsonl" >&2
        stop_server
    done
done

python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def f(v, fmt="{:.1f}"):
    return "-" if v is None else fmt.format(v)
print("| series | clients | connected | FPS min | FPS median | latency p50 ms | latency p99 ms | server CPU % of a core | peak RSS MB | frames / CPU-s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['label']} | {r['clients']} | {r['connected']} | {f(r['fps_min'])} | {f(r['fps_median'])} | "
          f"{f(r['latency_ms_p50'], '{:.2f}')} | {f(r['latency_ms_p99'], '{:.2f}')} | "
          f"{f(r['server_cpu_pct_of_one_core'])} | {f(r['server_peak_rss_mb'])} | {f(r['frames_per_cpu_s'], '{:.0f}')} |")
ours = {r["clients"]: r for r in rows if r["label"] == "file-24"}
print()
for r in rows:
    if r["label"] != "recipe-24":
        continue
    o = ours.get(r["clients"])
    if o and o.get("frames_per_cpu_s") and r.get("frames_per_cpu_s"):
        print(f"- {r['clients']} clients: pi-server delivers {o['frames_per_cpu_s'] / r['frames_per_cpu_s']:.0f}x "
              f"the recipe's frames per CPU-second ({o['frames_per_cpu_s']:.0f} vs {r['frames_per_cpu_s']:.0f}).")
PY
