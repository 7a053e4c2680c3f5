"""Drives headless Chromium over its DevTools protocol for tests/e2e/players.rs.

Opens URL in a fresh headless Chromium, and at each of the given seconds after loading
evaluates what the page knows of itself (its data- attributes, the stats panel, the
status line, the image's size), printing one JSON object per sample; takes a screenshot
at the end. Needs Debian's python3-websocket (and chromium).

usage: cdp.py CHROMIUM URL SCREENSHOT.png SECONDS [SECONDS ...]
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

chromium, url, screenshot, *samples = sys.argv[1:]
samples = sorted(float(s) for s in samples)
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
    for at in samples:
        time.sleep(max(0.0, start + at - time.time()))
        result = call("Runtime.evaluate", expression=probe, returnByValue=True)
        sample = json.loads(result["result"]["value"])
        sample["t"] = at
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
