#!/usr/bin/env bash
# exif-orientation-check.sh: do browsers turn a JPEG by its EXIF Orientation, as pi-server
# marks frames it passes through (pi-server/src/publish/exif.rs)?
#
# Takes one 320x240 frame of pi-server's test pattern and marks it with each of EXIF's
# eight orientations (an APP1 segment after SOI, as pi-server inserts it). Then:
#   1. headless Chromium draws each marked frame and, beside it, the unmarked frame turned
#      and mirrored by canvas transforms the way pi-server's encoder does
#      (src/source/orient.rs: flips first, then the turn clockwise); it prints the mean
#      pixel difference of each pair (0.00: the same picture) and the natural size;
#   2. with firefox-esr installed, a page showing a marked (6: 90° clockwise) stream from
#      pi-server and a marked snapshot as <img> is screenshot by headless Firefox into
#      $OUT/firefox.png (look at it: both pictures are portrait when Firefox turns them).
#
# usage: scripts/exif-orientation-check.sh [OUT_DIR]     (default: a temporary directory)
# needs: chromium; firefox-esr for step 2; a release build of pi-server.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v chromium >/dev/null || die "chromium is not installed (apt-get install chromium)"
[ -x "$BIN_DIR/pi-server" ] || die "$BIN_DIR/pi-server is missing: cargo build --release -p pi-server"
if [ -n "${1:-}" ]; then out=$1; mkdir -p "$out"; else temp_dir out; fi

port=$(free_port)
start server "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source test --size 320x240 \
  >"$out/pattern.log" 2>&1
wait_http "http://127.0.0.1:$port/snapshot.jpg" "pi-server" "$server" "$out/pattern.log"
python3 - "http://127.0.0.1:$port/snapshot.jpg" "$out" <<'PY'
import base64, json, struct, sys, urllib.request
plain = urllib.request.urlopen(sys.argv[1]).read()
out = sys.argv[2]
def mark(tag):
    body = (b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0" + bytes([tag])
            + b"\0\0\0\0\0\0")
    return plain[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + plain[2:]
open(out + "/marked6.mjpg", "wb").write(mark(6) * 3)
urls = {t: "data:image/jpeg;base64," + base64.b64encode(mark(t)).decode() for t in range(1, 9)}
# What each tag means as pi-server's orientation: (degrees clockwise, hflip, vflip).
ours = {1: (0, 0, 0), 2: (0, 1, 0), 3: (180, 0, 0), 4: (0, 0, 1),
        5: (270, 1, 0), 6: (90, 0, 0), 7: (90, 1, 0), 8: (270, 0, 0)}
page = """<!doctype html><pre id=out>running</pre><script>
const urls = %s, ours = %s;
const load = u => new Promise(r => { const i = new Image(); i.onload = () => r(i); i.src = u; });
(async () => {
  const plain = await load(urls[1]), W = plain.naturalWidth, H = plain.naturalHeight, res = [];
  for (let t = 1; t <= 8; t++) {
    const [deg, hf, vf] = ours[t], img = await load(urls[t]);
    const w = deg %% 180 ? H : W, h = deg %% 180 ? W : H;
    const canvas = () => { const c = document.createElement("canvas"); c.width = w; c.height = h;
                           return c.getContext("2d"); };
    const a = canvas(), b = canvas();
    a.drawImage(img, 0, 0);
    b.translate(w / 2, h / 2); b.rotate(deg * Math.PI / 180); b.scale(hf ? -1 : 1, vf ? -1 : 1);
    b.drawImage(plain, -W / 2, -H / 2);
    const da = a.getImageData(0, 0, w, h).data, db = b.getImageData(0, 0, w, h).data;
    let d = 0; for (let i = 0; i < da.length; i++) d += Math.abs(da[i] - db[i]);
    res.push("tag " + t + ": natural " + img.naturalWidth + "x" + img.naturalHeight +
             ", mean difference from pi-server's orientation " + (d / da.length).toFixed(2));
  }
  document.getElementById("out").textContent = res.join("\\n");
})();
</script>""" % (json.dumps(urls), json.dumps(ours))
open(out + "/tags.html", "w").write(page)
PY
stop "$server"
echo "Chromium $(chromium --version 2>/dev/null | awk '{ print $2 }'):"
chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 \
  --dump-dom "file://$(realpath "$out")/tags.html" 2>/dev/null |
  sed -n 's/.*<pre id="out">//; /^tag /p' | sed 's/<\/pre>.*//; s/^/  /'

if command -v firefox-esr >/dev/null; then
  port=$(free_port)
  start server "$BIN_DIR/pi-server" --listen "127.0.0.1:$port" --source "file:$out/marked6.mjpg" \
    --fps 5 >"$out/marked.log" 2>&1
  wait_http "http://127.0.0.1:$port/healthz" "pi-server" "$server" "$out/marked.log"
  printf '<!doctype html><body style="margin:0;background:#444"><img src="http://127.0.0.1:%s/stream.mjpg"> <img src="http://127.0.0.1:%s/snapshot.jpg">\n' \
    "$port" "$port" > "$out/firefox.html"
  mkdir -p "$out/home"
  HOME="$out/home" timeout 60 firefox-esr --headless --no-remote --window-size=700,400 \
    --screenshot "$out/firefox.png" "file://$(realpath "$out")/firefox.html" >/dev/null 2>&1
  stop "$server"
  echo "$(firefox-esr --version): screenshot of a marked stream and snapshot in $out/firefox.png"
else
  echo "firefox-esr is not installed: step 2 skipped"
fi
