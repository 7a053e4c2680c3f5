#!/usr/bin/env bash
# discovery-test.sh: cameras announce themselves and viewers find them, on a LAN of network
# namespaces (multicast works there; nothing leaves this machine).
#
# A bridge joins three hosts: pi-a and pi-b each run pi-server (their own host names, in
# UTS namespaces of their own); pi-b also runs avahi-daemon, as Raspberry Pi OS does (with a
# private D-Bus and /run, in a mount namespace of its own). The viewer runs on the third.
# Checked:
#   1. `desktop-viewer --discover` lists both cameras within 3 s of starting;
#   2. the viewer plays either camera from what it found, and `pi-a.local` typed as a
#      newcomer would (resolved by the viewer's own mDNS query: no nss-mdns here);
#   3. pi-a's /api/cameras names pi-b, and its index page, rendered by headless Chromium,
#      links to pi-b's page;
#   4. avahi on pi-b: `avahi-browse -rpt` lists pi-server with its TXT record, avahi keeps
#      its host name (no conflict), and a camera published with `avahi-publish` is listed
#      by the viewer;
#   5. pi-a shut down (SIGTERM): the viewer sees it vanish within 5 s.
# Figures (times to appear and vanish) are printed.
#
# usage: sudo scripts/discovery-test.sh [--screenshot FILE.png]
#   --screenshot: also photograph the viewer's window (Xvfb) listing the cameras.
# needs: root, iproute2, util-linux (unshare, nsenter), python3, and for step 4 avahi-daemon,
# avahi-utils and dbus (.ci/run installs them without starting avahi on the host).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

screenshot=
while [ $# -gt 0 ]; do
  case "$1" in
    --screenshot) screenshot="$2"; shift ;;
    *) echo "usage: $0 [--screenshot FILE.png]" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || die "needs root for ip netns (run it with sudo)"
for tool in ip unshare nsenter python3 chromium avahi-daemon avahi-browse avahi-publish dbus-daemon; do
  command -v "$tool" >/dev/null ||
    die "$tool not found; apt-get install iproute2 util-linux python3 chromium avahi-daemon avahi-utils dbus"
done

cargo build --release --quiet -p pi-server -p desktop-viewer
server_bin="$(realpath "$BIN_DIR/pi-server")"
viewer_bin="$(realpath "$BIN_DIR/desktop-viewer")"
# The servers here are meant to announce, the viewers to look (scripts/lib.sh turns both
# off for the other scripts).
export PI_SERVER_NO_ANNOUNCE=0 VIEWER_NO_DISCOVERY=0
temp_dir work

# Names unique to this run; interface names are at most 15 characters.
tag="pd$$"
subnet="10.$(( $$ % 200 + 20 )).$(( ($$ / 200) % 250 )).0"
lan="$tag-lan"
on_exit "ip netns del '$lan'"
ip netns add "$lan"
ip -n "$lan" link add br0 type bridge
ip -n "$lan" link set br0 up
n=1
for host in a b v; do
  n=$((n + 1))
  ns="$tag-$host"
  on_exit "ip netns del '$ns'"
  ip netns add "$ns"
  ip link add "$tag$host" type veth peer name eth0 netns "$ns"
  ip link set "$tag$host" netns "$lan"
  ip -n "$lan" link set "$tag$host" master br0 up
  ip -n "$ns" addr add "${subnet%.0}.$n/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  printf -v "ip_$host" '%s' "${subnet%.0}.$n"
done
in_v() { ip netns exec "$tag-v" "$@"; }
# Whether something accepts connections on HOST PORT, seen from the viewer's host.
open_from_v() { in_v bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }
echo "LAN: pi-a $ip_a, pi-b $ip_b (with avahi-daemon), viewer $ip_v"

# pi-a: pi-server alone.
start server_a ip netns exec "$tag-a" unshare --uts \
  sh -c 'hostname pi-a && exec "$@"' sh \
  "$server_bin" --listen 0.0.0.0:8000 --source test --size 320x240 --fps 15 > "$work/a.log" 2>&1

# pi-b: D-Bus and avahi-daemon, as on Raspberry Pi OS, then pi-server with a password.
mkdir -p /run/avahi-daemon /run/dbus
cat > "$work/pi-b.sh" <<'EOF'
set -e
hostname pi-b
mount -t tmpfs none /run/avahi-daemon
mount -t tmpfs none /run/dbus
dbus-daemon --system --nofork --nopidfile &
for i in $(seq 50); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.1; done
avahi-daemon --no-drop-root --no-chroot > "$WORK/avahi.log" 2>&1 &
for i in $(seq 50); do [ -S /run/avahi-daemon/socket ] && break; sleep 0.1; done
exec "$@"
EOF
WORK=$work start server_b ip netns exec "$tag-b" unshare --mount --uts --propagation private \
  bash "$work/pi-b.sh" \
  "$server_bin" --listen 0.0.0.0:8000 --source test --size 320x240 --fps 15 \
  --name "Door camera" --auth pi:secret > "$work/b.log" 2>&1
in_b() { nsenter -t "$server_b" -m -n -u "$@"; }

wait_until 30 "pi-a's server" "$server_a" "$work/a.log" open_from_v "$ip_a" 8000
wait_until 30 "pi-b's server" "$server_b" "$work/b.log" open_from_v "$ip_b" 8000
grep -q "host=pi-b-pi-server.local" "$work/b.log" ||
  { tail "$work/b.log" >&2; die "pi-server on pi-b did not see avahi-daemon"; }

# The checks of the JSON the viewer prints, in one place (scripts/discovery-check.py).
check() { python3 scripts/discovery-check.py "$@"; }

echo "1. --discover from the viewer's host"
in_v "$viewer_bin" --discover --duration 3 > "$work/discover.jsonl"
check listed "$work/discover.jsonl" 3 "pi-a: test pattern" "Door camera"

echo "2. the viewer plays what it found, and a typed .local name"
for name in "pi-a: test pattern" "Door camera"; do
  url=$(check stream-url "$work/discover.jsonl" "$name")
  in_v "$viewer_bin" --headless --json --duration 2 --user pi --password secret "$url" \
    > "$work/play.jsonl"
  check played "$work/play.jsonl" "$name ($url)"
done
for typed in pi-a.local "$ip_a" "http://$ip_a:8000/"; do
  in_v "$viewer_bin" --headless --json --duration 3 "$typed" > "$work/typed.jsonl"
  check played "$work/typed.jsonl" "$typed, typed"
done

echo "3. pi-a's index page lists pi-b"
in_v python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
  "http://$ip_a:8000/api/cameras" > "$work/cameras.json"
check neighbours "$work/cameras.json" "Door camera"
# The page's script lists them; Chromium runs it (a few virtual seconds) and prints the DOM.
in_v chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/chromium" --virtual-time-budget=4000 --dump-dom "http://$ip_a:8000/" \
  > "$work/page.html" 2> "$work/chromium.log"
check page-links "$work/page.html" "Door camera" "http://$ip_b:8000/"

echo "4. avahi-daemon on pi-b"
in_b avahi-browse --resolve --parsable --terminate _http._tcp > "$work/avahi-browse.txt"
check avahi-lists "$work/avahi-browse.txt" "Door camera" "stream=/stream.mjpg" "auth=basic"
if grep -qi conflict "$work/avahi.log"; then
  cat "$work/avahi.log" >&2
  die "avahi-daemon saw a name conflict"
fi
in_b avahi-resolve --name pi-b.local | grep -q "$ip_b" || die "avahi no longer answers for pi-b.local"
echo "   avahi kept its host name pi-b.local; no conflict in its log"
start publisher nsenter -t "$server_b" -m -n -u avahi-publish --service --subtype \
  _mjpeg._sub._http._tcp "Hand-published camera" _http._tcp 8080 \
  "stream=/?action=stream" "size=1280x720" > "$work/publish.log" 2>&1
in_v "$viewer_bin" --discover --duration 3 > "$work/discover-avahi.jsonl"
check listed "$work/discover-avahi.jsonl" 3 "Hand-published camera"

if [ -n "$screenshot" ]; then
  display=:$(( $$ % 200 + 300 ))
  start xvfb Xvfb "$display" -screen 0 1024x600x24 > "$work/xvfb.log" 2>&1
  wait_until 10 "Xvfb $display" "$xvfb" "$work/xvfb.log" test -S "/tmp/.X11-unix/X${display#:}"
  # Nothing listens on the viewer's own host: it shows its start screen and the cameras.
  DISPLAY=$display start window ip netns exec "$tag-v" "$viewer_bin" > "$work/window.log" 2>&1
  pause 6
  DISPLAY=$display import -window root "$screenshot"
  echo "   wrote $screenshot"
  stop "$window"
fi

echo "5. pi-a shuts down"
start watcher sh -c 'exec "$@" > "$0"' "$work/vanish.jsonl" \
  ip netns exec "$tag-v" "$viewer_bin" --discover --duration 8
pause 2
killed_at=$(date +%s.%N)
stop "$server_a"
wait "$watcher" 2>/dev/null || true
check vanished "$work/vanish.jsonl" "pi-a: test pattern" "$killed_at" 5

echo "discovery: all checks passed"
