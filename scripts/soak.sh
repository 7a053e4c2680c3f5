#!/usr/bin/env bash
# soak.sh: pi-server for a long run under continuous client churn; does anything leak?
#
# The test pattern (640x480, 24 fps) streams for SECONDS (default 600) while:
#   - 3 steady clients stay connected throughout (`mjpeg-load`, paths marked ?steady);
#   - 50 churning clients hang up every 1.5-4.5 s and connect again at once (about 17
#     new connections a second), from the start until 10 s before the end.
# Every 30 s it samples the server's RSS (/proc/PID/status VmRSS), its open file
# descriptors (/proc/PID/fd) and /stats (source fps, each steady client's fps, clients).
# Checked at the end:
#   - the steady clients averaged at least 95 % of the source's rate, and no sample of
#     theirs fell under 90 % of it;
#   - RSS at the end of the churn is within 5 % of RSS after its first minute (the allocator
#     has warmed up by then), and within 5 % (or 1 MB) after the churn stops;
#   - open descriptors after the churn stops equal those before it started.
# usage: scripts/soak.sh [SECONDS]        (figures go to docs/reliability.md by hand)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
seconds=${1:-600}
(( seconds >= 120 )) || { echo "soak.sh: run at least 120 s" >&2; exit 2; }

cargo build --release --quiet -p pi-server --bin pi-server --bin mjpeg-load
temp_dir work

port=$(free_port)
start server "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source test --size 640x480 \
  --fps 24 > "$work/server.log" 2>&1
wait_http "http://127.0.0.1:$port/healthz" pi-server "$server" "$work/server.log"

sample() { # label -> one JSON line
  python3 - "$server" "$port" "$1" "$SECONDS" <<'PY'
import json, os, sys, urllib.request
pid, port, label, t = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rss_kb = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
fds = len(os.listdir(f"/proc/{pid}/fd"))
stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5))
steady = [c["fps"] for c in stats["clients"] if "steady" in c["path"]]
print(json.dumps({"label": label, "t": t, "rss_kb": rss_kb, "fds": fds,
                  "fps_source": stats["fps_source"], "steady_fps": steady,
                  "clients": stats["client_count"], "connections": stats["connections"]}))
PY
}

SECONDS=0
start steady "$BIN_DIR/mjpeg-load" --url "http://127.0.0.1:$port/stream.mjpg?steady" \
  --clients 3 --warmup 5 --duration "$((seconds - 5))" --json --label steady \
  > "$work/steady.json"
# The steady clients' warm-up: they are connected and at full rate before the churn starts.
pause 5
sample before-churn >> "$work/samples.jsonl"
start churn "$BIN_DIR/mjpeg-load" --url "http://127.0.0.1:$port/stream.mjpg" --clients 50 \
  --reconnect-every 3 --warmup 0 --duration "$((seconds - 15))" --json --label churn \
  > "$work/churn.json"
next=35
while (( SECONDS < seconds - 10 )); do
  pause 1
  if (( SECONDS >= next )); then
    sample churn >> "$work/samples.jsonl"
    next=$((next + 30))
  fi
done
wait "$churn" || true
# The server closes the churn's last connections and frees their buffers.
pause 3
sample after-churn >> "$work/samples.jsonl"
wait "$steady" || true

python3 - "$work" "$seconds" <<'PY'
import json, os, sys
work, seconds = sys.argv[1], int(sys.argv[2])
samples = [json.loads(l) for l in open(os.path.join(work, "samples.jsonl"))]
steady = json.load(open(os.path.join(work, "steady.json")))
churn = json.load(open(os.path.join(work, "churn.json")))
print(f"soak: {seconds} s, test pattern 640x480 at 24 fps, 3 steady clients, 50 churning")
print(f"{'t (s)':>6} {'phase':<13} {'RSS MB':>7} {'fds':>5} {'src fps':>7} {'conns':>5}  steady fps")
for s in samples:
    print(f"{s['t']:>6} {s['label']:<13} {s['rss_kb']/1024:>7.1f} {s['fds']:>5} "
          f"{s['fps_source']:>7.1f} {s['connections']:>5}  {s['steady_fps']}")
print(f"steady clients: fps min/median {steady['fps_min']:.2f}/{steady['fps_median']:.2f}, "
      f"failed {steady['failed']}")
print(f"churn: {churn['connections_total']} streams opened by 50 clients, "
      f"failed {churn['failed']} ({churn['first_error']})")
before = samples[0]
during = [s for s in samples if s["label"] == "churn"]
after = samples[-1]
first, last = during[1] if len(during) > 1 else during[0], during[-1]
failures = []
source = before["fps_source"] or 24.0
if steady["fps_min"] < 0.95 * 24:
    failures.append(f"a steady client averaged {steady['fps_min']:.2f} fps (< 95 % of 24)")
low = [f for s in during for f in s["steady_fps"] if f < 0.9 * s["fps_source"]]
if low:
    failures.append(f"steady samples under 90 % of the source: {low}")
growth = (last["rss_kb"] - first["rss_kb"]) / first["rss_kb"]
print(f"RSS during churn: {first['rss_kb']/1024:.1f} MB at {first['t']} s -> "
      f"{last['rss_kb']/1024:.1f} MB at {last['t']} s ({growth*100:+.1f} %)")
print(f"after churn: RSS {after['rss_kb']/1024:.1f} MB (before {before['rss_kb']/1024:.1f}), "
      f"fds {after['fds']} (before {before['fds']})")
if abs(growth) > 0.05:
    failures.append(f"RSS changed {growth*100:+.1f} % during the churn")
if after["fds"] != before["fds"]:
    failures.append(f"open descriptors {before['fds']} before, {after['fds']} after")
if after["rss_kb"] > max(before["rss_kb"] * 1.05, before["rss_kb"] + 1024) and \
   after["rss_kb"] > last["rss_kb"] * 1.05:
    failures.append("RSS after the churn is above both its start and its churn level")
if churn["connections_total"] < seconds * 5:
    failures.append(f"too little churn: {churn['connections_total']} streams")
if failures:
    print("soak FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
print("soak passed")
PY
