#!/usr/bin/env bash
# grid-bench.sh: one headless viewer watching nine streams, against ffmpeg's decoder.
#
# Two builds of the viewer are measured, one after the other: the default (zune-jpeg, pure
# Rust) and `--features turbojpeg` (libjpeg-turbo; skipped without cmake and nasm).
#
# Three pi-servers replay the committed 640x480 capture of the original recipe
# (shared/tests/fixtures/seed-recipe.body, 95 frames) at 24 fps; one release viewer watches
# each at three paths (/stream.mjpg, /stream, /?action=stream): nine connections, nine
# pipelines. Reported: each stream's decoded fps and capture-to-decoded age, and the viewer's
# CPU per decoded frame (user+sys over the run, from /proc, so start-up is left out only as
# far as it is small). In the same run ffmpeg decodes the same frames single-threaded
# (`-threads 1`, to its own YUV and, for a like-for-like figure, to RGBA as the viewer
# does), and the ratio is printed. With --profile, perf samples the viewer (where the time
# goes, by symbol).
#
# usage: scripts/grid-bench.sh [--profile] [SECONDS]     (default 20 s)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
profile=0
if [ "${1:-}" = --profile ]; then
  profile=1
  shift
fi
seconds=${1:-20}
fixture="$PWD/shared/tests/fixtures/seed-recipe.body"
command -v ffmpeg >/dev/null || die "needs ffmpeg (apt-get install ffmpeg)"

cargo build --release --quiet -p pi-server --bin pi-server
temp_dir work
# Each build is copied out: the second would replace the first in the target dir.
cargo build --release --quiet -p desktop-viewer --bin desktop-viewer
cp "$BIN_DIR/desktop-viewer" "$work/viewer-zune-jpeg"
builds=(zune-jpeg)
if command -v cmake >/dev/null && command -v nasm >/dev/null; then
  cargo build --release --quiet -p desktop-viewer --bin desktop-viewer --features turbojpeg
  cp "$BIN_DIR/desktop-viewer" "$work/viewer-turbojpeg"
  builds+=(turbojpeg)
else
  echo "the turbojpeg build is not measured: it needs cmake and nasm"
fi

urls=()
for i in 1 2 3; do
  port=$(free_port)
  start "server$i" "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source "file:$fixture" \
    --fps 24 --log-level warn > "$work/server$i.log" 2>&1
  pid_var="server$i"
  wait_http "http://127.0.0.1:$port/healthz" "server $i" "${!pid_var}" "$work/server$i.log"
  urls+=("http://127.0.0.1:$port/stream.mjpg" "http://127.0.0.1:$port/stream"
    "http://127.0.0.1:$port/?action=stream")
done

# The viewer's CPU: the whole run under /usr/bin/time; start-up (a few ms) is small beside
# ${seconds} s of nine streams.
for build in "${builds[@]}"; do
  viewer_cmd=("$work/viewer-$build" --headless --json --duration "$seconds" "${urls[@]}")
  if [ "$profile" = 1 ]; then
    command -v perf >/dev/null || die "--profile needs perf (apt-get install linux-perf)"
    viewer_cmd=(perf record -F 999 -g -o "$work/perf-$build.data" -- "${viewer_cmd[@]}")
  fi
  /usr/bin/time -f "%U %S %e" -o "$work/viewer-$build.time" "${viewer_cmd[@]}" \
    > "$work/viewer-$build.json"
done

# ffmpeg on the same frames: the capture's JPEGs, copied out once, decoded in a loop to
# about as many frames as the viewer decoded.
ffmpeg -v error -f mpjpeg -i "$fixture" -c copy -f mjpeg "$work/frames.mjpeg"
decoded=$(python3 -c "
import json, sys
print(sum(l['decoded'] for l in map(json.loads, open(sys.argv[1])) if l.get('type') == 'summary'))
" "$work/viewer-zune-jpeg.json")
loops=$(( decoded / 95 + 1 ))
for fmt in native rgba; do
  pix=()
  [ "$fmt" = rgba ] && pix=(-pix_fmt rgba)
  /usr/bin/time -f "%U %S %e" -o "$work/ffmpeg-$fmt.time" \
    ffmpeg -v error -threads 1 -stream_loop "$loops" -f mjpeg -i "$work/frames.mjpeg" \
      "${pix[@]}" -fps_mode passthrough -f null -
done
frames_decoded_by_ffmpeg=$(( (loops + 1) * 95 ))

python3 - "$work" "$seconds" "$frames_decoded_by_ffmpeg" "${builds[@]}" <<'PY'
import json, sys
work, seconds, ff_frames, builds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
def cpu(name):
    user, sys_, wall = map(float, open(f"{work}/{name}.time").read().split()[-3:])
    return user + sys_
ff = {}
for fmt, what in (("native", "to YUV"), ("rgba", "to RGBA")):
    ff_cpu = cpu(f"ffmpeg-{fmt}")
    ff[fmt] = ff_cpu / ff_frames * 1000
    print(f"ffmpeg -threads 1, {what}: {ff_cpu:.2f} s CPU for {ff_frames} frames = "
          f"{ff[fmt]:.3f} ms a frame")
for build in builds:
    lines = [json.loads(l) for l in open(f"{work}/viewer-{build}.json")]
    summaries = [l for l in lines if l.get("type") == "summary"]
    print(f"viewer ({build}): {len(summaries)} streams, 640x480 at 24 fps, {seconds:.0f} s:")
    r = lambda v: "-" if v is None else f"{v:.2f}"
    for s in summaries:
        print(f"  {s['stream']['url']:<40} {s['fps']:5.1f} fps received, {s['decoded']} decoded, "
              f"dropped {s['dropped']}, capture to decoded p50/p99 "
              f"{r(s['latency_p50_ms'])}/{r(s['latency_p99_ms'])} ms, decode p50/p99 "
              f"{r(s['decode_p50_ms'])}/{r(s['decode_p99_ms'])} ms")
    decoded = sum(s["decoded"] for s in summaries)
    slowest = min(s["decoded"] / s["seconds"] for s in summaries)
    viewer_cpu = cpu(f"viewer-{build}")
    per_frame = viewer_cpu / decoded * 1000
    print(f"  slowest stream: {slowest:.1f} decoded fps (goal: 23 or more)")
    print(f"  {viewer_cpu:.2f} s CPU for {decoded} decoded frames = {per_frame:.3f} ms a frame "
          f"({viewer_cpu / seconds * 100:.0f} % of one core); against ffmpeg to YUV "
          f"{per_frame / ff['native']:.2f}x, to RGBA {per_frame / ff['rgba']:.2f}x (goal: 1.2x)")
PY
if [ "$profile" = 1 ]; then
  for build in "${builds[@]}"; do
    echo "where the viewer's time goes ($build), by symbol:"
    perf report -i "$work/perf-$build.data" --no-children --sort dso,symbol --stdio -g none \
      2>/dev/null | grep -v '^#' | grep -v '^$' | head -25 || true # head cuts the pipe short
  done
fi
