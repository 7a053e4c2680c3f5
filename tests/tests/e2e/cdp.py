"""Drives headless Chromium over its DevTools protocol for tests/e2e/players.rs.

Opens URL in a fresh headless Chromium, and at each of the given samples evaluates what
the page knows of itself (its data- attributes, the stats panel, the status line, the
image's size), printing one JSON object per sample as it is taken; takes a screenshot at
the end. Needs Debian's python3-websocket (and chromium).

A sample is SECONDS after loading, or `until:EXPR`: as soon as the JavaScript expression
EXPR is true (checked every 100 ms; `cdpPrevious` is the previous sample), or 30 s after
the previous sample if it never is (the caller's assertions then say what was missing).
Samples are taken in the order given.

With --frames, each sample also says which frame the page shows and which is the newest:
`frame.before` is /stats' newest_frame just before, `frame.shown` the number read from the
test pattern's strip in the stream image (drawn to a canvas), `frame.after` newest_frame
just after. The strip is read by the rule mjpeg_wire::strip documents.

usage: cdp.py [--frames] CHROMIUM URL SCREENSHOT.png SAMPLE [SAMPLE ...]
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

args = sys.argv[1:]
frames = args[:1] == ["--frames"]
if frames:
    args = args[1:]
chromium, url, screenshot, *samples = args
# The longest wait for an `until:` condition: a guard against a hung test, like PATIENCE in
# the Rust tests, never an expectation of speed.
PATIENCE = 30.0
# A test that gives up sends SIGTERM: leave through `finally`, which stops Chromium.
signal.signal(signal.SIGTERM, lambda *_: sys.exit("cdp.py: terminated"))
profile = tempfile.mkdtemp(prefix="e2e-cdp-")
browser = subprocess.Popen(
    [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
     "--no-first-run", "--disable-background-networking", "--disable-component-update",
     "--disable-sync", "--window-size=1000,700", "--remote-debugging-port=0",
     "--user-data-dir=" + profile, "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 20
    while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
        if time.time() > deadline or browser.poll() is not None:
            sys.exit("chromium did not open its DevTools port")
        time.sleep(0.05)
    port = open(port_file).read().split("\n")[0].strip()
    pages = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port))
    page = next(p for p in pages if p["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=20)
    ids = iter(range(1, 1000000))

    def call(method, **params):
        i = next(ids)
        ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("id") == i:
                if "error" in msg:
                    sys.exit("%s failed: %s" % (method, msg["error"]))
                return msg["result"]

    call("Page.enable")
    call("Page.navigate", url=url)
    start = time.time()
    probe = """JSON.stringify({
        data: Object.assign({}, document.body.dataset),
        status: document.getElementById("status").textContent,
        error: document.getElementById("err").textContent,
        size: document.getElementById("size").textContent,
        fps: document.getElementById("fps").textContent,
        uptime: document.getElementById("uptime").textContent,
        natural: [document.getElementById("live").naturalWidth,
                  document.getElementById("live").naturalHeight]})"""
    # The strip: the bottom min(h/4, 16) rows, 32 cells of floor(w/32) pixels; a cell is
    # white when the mean integer luma of the middle half of its width, on the strip's
    # middle row, is at least 128. Cells 0,1 and 30,31 are white,black and black,white;
    # 2-25 are the number (MSB first), 26-29 its count of 1 bits modulo 16.
    frame_probe = """(async () => {
        const newest = async () =>
            // With the page's own token, when it was opened with one.
            (await (await fetch(typeof withToken === "function" ? withToken("/stats") : "/stats",
                                {cache: "no-store"})).json()).newest_frame;
        const before = await newest();
        const img = document.getElementById("live");
        const w = img.naturalWidth, h = img.naturalHeight;
        let shown = null;
        if (w >= 64) {
            const canvas = document.createElement("canvas");
            canvas.width = w; canvas.height = h;
            const ctx = canvas.getContext("2d");
            ctx.drawImage(img, 0, 0);
            const strip = Math.min(Math.floor(h / 4), 16);
            const row = ctx.getImageData(0, h - Math.floor(strip / 2) - 1, w, 1).data;
            const cell = Math.floor(w / 32);
            const white = [];
            for (let i = 0; i < 32; i++) {
                const from = i * cell + Math.floor(cell / 4);
                const to = Math.max(i * cell + cell - Math.floor(cell / 4), from + 1);
                let sum = 0, n = 0;
                for (let x = from; x < to; x++, n++) {
                    const p = x * 4;
                    sum += Math.floor((299 * row[p] + 587 * row[p + 1] + 114 * row[p + 2]) / 1000);
                }
                white.push(sum >= 128 * n);
            }
            const bits = (a, b) => white.slice(a, b).reduce((acc, v) => acc * 2 + (v ? 1 : 0), 0);
            const number = bits(2, 26), check = bits(26, 30);
            const ones = white.slice(2, 26).filter(v => v).length;
            if (white[0] && !white[1] && !white[30] && white[31] && ones % 16 === check) {
                shown = number;
            }
        }
        const after = await newest();
        return JSON.stringify({before, shown, after});
    })()"""
    previous = None
    for spec in samples:
        if spec.startswith("until:"):
            call("Runtime.evaluate", expression="var cdpPrevious = %s;" % json.dumps(previous))
            deadline = time.time() + PATIENCE
            while time.time() < deadline:
                result = call("Runtime.evaluate", expression="Boolean(%s)" % spec[len("until:"):],
                              returnByValue=True)
                if result["result"].get("value") is True:
                    break
                time.sleep(0.1)
        else:
            time.sleep(max(0.0, start + float(spec) - time.time()))
        result = call("Runtime.evaluate", expression=probe, returnByValue=True)
        sample = json.loads(result["result"]["value"])
        sample["t"] = round(time.time() - start, 2)
        previous = sample
        if frames:
            result = call("Runtime.evaluate", expression=frame_probe, returnByValue=True,
                          awaitPromise=True)
            sample["frame"] = json.loads(result["result"]["value"])
        print(json.dumps(sample), flush=True)
    shot = call("Page.captureScreenshot", format="png")
    with open(screenshot, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
finally:
    browser.terminate()
    try:
        browser.wait(timeout=5)
    except subprocess.TimeoutExpired:
        browser.kill()
    shutil.rmtree(profile, ignore_errors=True)
