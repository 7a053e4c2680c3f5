#!/usr/bin/env bash
# Load benchmark of pi-server, and of its peers through the same load tool.
#
#   scripts/bench-server.sh [--build-peers] [SECONDS] [CLIENT COUNTS...]
#                                              (defaults: 10 s; 1 10 100 500)
#
# Everything runs on loopback. For each client count it starts a fresh server, runs
# `mjpeg-load` (pi-server/src/bin/mjpeg-load.rs) for a warm-up plus SECONDS, and records
# per-client FPS, capture-to-receipt latency, the server's CPU time over the measured window
# (/proc/PID/stat) and its peak RSS (VmHWM). Series:
#   pattern-30        pi-server --source test, 640x480 at 30 fps (JPEG encoding included)
#   file-30           pi-server replaying the recipe's own frames (640x480) at 30 fps
#   file-24           the same at 24 fps: like for like with the peers below
#   mjpg-streamer-24  mjpg-streamer (C, a thread per client) serving the same frames at
#                     24 fps with input_file and output_http, when it is built (else skipped)
#   recipe-24         the recipe's streaming.py with its stand-in camera (24 fps, fixed)
# Results: $CARGO_TARGET_DIR (or target)/bench-server/results.jsonl (one JSON object per run)
# and Markdown tables on stdout. Needs python3 (the recipe; also formats the table) and curl.
#
# mjpg-streamer is looked for in $CARGO_TARGET_DIR/peers/mjpg-streamer (or $MJPG_STREAMER,
# an install prefix holding bin/mjpg_streamer). --build-peers builds it there first, from
# the source tree in $MJPG_STREAMER_SRC (a checkout of jacksonliam/mjpg-streamer, or its
# mjpg-streamer-experimental folder; needs cmake, a C compiler and libjpeg-dev), since the
# script fetches nothing itself.
# Env: SERIES (which series, in order), WARMUP (seconds, default 3), BUILD=0 (use the
# binaries as they are).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_peers=
if [ "${1:-}" = --build-peers ]; then
  build_peers=1
  shift
fi
SECONDS_PER_RUN=${1:-10}
shift || true
COUNTS=("$@")
[ ${#COUNTS[@]} -eq 0 ] && COUNTS=(1 10 100 500)
WARMUP=${WARMUP:-3}
SERIES=${SERIES:-"pattern-30 file-30 file-24 mjpg-streamer-24 recipe-24"}
if [ ! -d ../shared/anchors/seed-recipe ]; then
  echo "bench-server.sh: ../shared/anchors/seed-recipe (the team kit's original recipe) is" \
    "absent; it is the anchor every figure is compared against, so nothing was run." >&2
  exit 1
fi
RECIPE_DIR=$(cd ../shared/anchors/seed-recipe && pwd)
FRAMES="$RECIPE_DIR/frames.mjpg"
OUT="$TARGET_DIR/bench-server"
MJPG_STREAMER=${MJPG_STREAMER:-$TARGET_DIR/peers/mjpg-streamer}

# Builds mjpg-streamer's program and the two plugins the bench uses into $MJPG_STREAMER,
# out of the source tree (cmake's build folder sits beside the install prefix).
build_mjpg_streamer() {
  local src=${MJPG_STREAMER_SRC:-}
  [ -n "$src" ] || die "--build-peers: set MJPG_STREAMER_SRC to a checkout of jacksonliam/mjpg-streamer"
  [ -f "$src/mjpg-streamer-experimental/CMakeLists.txt" ] && src="$src/mjpg-streamer-experimental"
  [ -f "$src/CMakeLists.txt" ] && [ -d "$src/plugins/input_file" ] ||
    die "--build-peers: $src is not mjpg-streamer's source (no CMakeLists.txt, plugins/input_file)"
  command -v cmake >/dev/null || die "--build-peers: cmake not found; apt-get install cmake libjpeg-dev"
  local build="$MJPG_STREAMER.build"
  mkdir -p "$build"
  echo "bench-server.sh: building mjpg-streamer from $src into $MJPG_STREAMER" >&2
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$(realpath -m "$MJPG_STREAMER")" >"$build.log" 2>&1 &&
    cmake --build "$build" -j "$(nproc)" --target mjpg_streamer input_file output_http \
      >>"$build.log" 2>&1 ||
    { tail -n 30 "$build.log" >&2; die "--build-peers: building mjpg-streamer failed (log: $build.log)"; }
  # Only what the bench runs: installing everything would need every plugin built.
  mkdir -p "$MJPG_STREAMER/bin" "$MJPG_STREAMER/lib/mjpg-streamer"
  cp "$build/mjpg_streamer" "$MJPG_STREAMER/bin/"
  cp "$build/plugins/input_file/input_file.so" "$build/plugins/output_http/output_http.so" \
    "$MJPG_STREAMER/lib/mjpg-streamer/"
}
[ -z "$build_peers" ] || build_mjpg_streamer

mjpg_streamer_built() {
  [ -x "$MJPG_STREAMER/bin/mjpg_streamer" ] &&
    [ -f "$MJPG_STREAMER/lib/mjpg-streamer/input_file.so" ] &&
    [ -f "$MJPG_STREAMER/lib/mjpg-streamer/output_http.so" ]
}

if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -p pi-server --bins >&2
fi
mkdir -p "$OUT"
: > "$OUT/results.jsonl"
temp_dir work
# 500 clients plus the server's sockets need more than the usual 1024 descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true

# mjpg-streamer's input_file serves a folder of JPEG files, so the recipe's frames are split
# into one file each, named in their order.
jpeg_folder() { # FOLDER
  mkdir -p "$1"
  python3 shared/tests/fixtures/jpegs.py "$FRAMES" --folder "$1"
}

SERVER_PID=
start_server() { # SERIES PORT
  local log="$work/$1.log"
  case "$1" in
    pattern-30) start SERVER_PID "$BIN_DIR/pi-server" --listen "127.0.0.1:$2" --log-level warn \
                  --source test --size 640x480 --fps 30 > "$log" 2>&1 ;;
    file-30)    start SERVER_PID "$BIN_DIR/pi-server" --listen "127.0.0.1:$2" --log-level warn \
                  --source "file:$FRAMES" --fps 30 > "$log" 2>&1 ;;
    file-24)    start SERVER_PID "$BIN_DIR/pi-server" --listen "127.0.0.1:$2" --log-level warn \
                  --source "file:$FRAMES" --fps 24 > "$log" 2>&1 ;;
    # -d is the pause after each frame is read (so a little under 24 fps); -e loops the
    # folder's files; -n: no control commands, as pi-server has none.
    mjpg-streamer-24)
                [ -d "$work/frames" ] || jpeg_folder "$work/frames"
                plugins="$MJPG_STREAMER/lib/mjpg-streamer"
                start SERVER_PID "$MJPG_STREAMER/bin/mjpg_streamer" \
                  -i "$plugins/input_file.so -e -d 0.041667 -f $work/frames" \
                  -o "$plugins/output_http.so -l 127.0.0.1 -p $2 -n" > "$log" 2>&1 ;;
    recipe-24)  PORT=$2 start SERVER_PID env -C "$RECIPE_DIR" python3 streaming.py \
                  > "$log" 2>&1 ;;
    *) echo "unknown series $1" >&2; exit 2 ;;
  esac
  case "$1" in
    recipe-24)        wait_http "http://127.0.0.1:$2/index.html" "$1" "$SERVER_PID" "$log" ;;
    mjpg-streamer-24) wait_http "http://127.0.0.1:$2/?action=snapshot" "$1" "$SERVER_PID" "$log" ;;
    *)                wait_http "http://127.0.0.1:$2/healthz" "$1" "$SERVER_PID" "$log" ;;
  esac
}

stream_path() { # SERIES
  case "$1" in
    mjpg-streamer-24) echo "/?action=stream" ;;
    *) echo "/stream.mjpg" ;;
  esac
}

for series in $SERIES; do
  if [ "$series" = mjpg-streamer-24 ] && ! mjpg_streamer_built; then
    echo "== $series skipped: mjpg-streamer is not built in $MJPG_STREAMER" \
      "(MJPG_STREAMER_SRC=DIR scripts/bench-server.sh --build-peers builds it)" >&2
    continue
  fi
  for n in "${COUNTS[@]}"; do
    port=$(free_port)
    start_server "$series" "$port"
    echo "== $series, $n clients, ${WARMUP}s warm-up + ${SECONDS_PER_RUN}s" >&2
    "$BIN_DIR/mjpeg-load" --url "http://127.0.0.1:$port$(stream_path "$series")" --clients "$n" \
      --duration "$SECONDS_PER_RUN" --warmup "$WARMUP" --pid "$SERVER_PID" \
      --label "$series" --json | tee -a "$OUT/results.jsonl" >&2
    # INT: pi-server's graceful shutdown, and what ends the recipe and mjpg-streamer too.
    stop "$SERVER_PID" INT
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
peers = [("mjpg-streamer-24", "mjpg-streamer's", "{:.1f}"), ("recipe-24", "the recipe's", "{:.0f}")]
print()
for label, whose, ratio in peers:
    for r in rows:
        if r["label"] != label:
            continue
        o = ours.get(r["clients"])
        if o and o.get("frames_per_cpu_s") and r.get("frames_per_cpu_s"):
            print(f"- {r['clients']} clients: pi-server delivers {ratio.format(o['frames_per_cpu_s'] / r['frames_per_cpu_s'])}x "
                  f"{whose} frames per CPU-second ({o['frames_per_cpu_s']:.0f} vs {r['frames_per_cpu_s']:.0f}).")
# Side by side, the same frames at 24 fps: frames delivered per server CPU-second.
by = {(r["label"], r["clients"]): r for r in rows}
present = [l for l in ("file-24", "mjpg-streamer-24", "recipe-24") if any(k[0] == l for k in by)]
if len(present) > 1:
    print()
    print("| clients | " + " | ".join(present) + " |")
    print("|---:|" + "---:|" * len(present))
    for n in sorted({k[1] for k in by}):
        cells = [f(by.get((l, n), {}).get("frames_per_cpu_s"), "{:.0f}") for l in present]
        print(f"| {n} | " + " | ".join(cells) + " |")
PY
