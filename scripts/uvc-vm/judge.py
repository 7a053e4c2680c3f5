#!/usr/bin/env python3
"""judge.py CONSOLE_LOG AVI1_CAPTURE: the verdict of scripts/uvc-vm-test.sh.

Reads what the guest printed (RESULT lines of JSON, BEGIN/END blocks, EVENT and FEEDER
lines, API lines of /api/controls answers between API-MARK lines), prints one line per check with its figures, decodes the AVI1 capture the guest sent
over its second serial port with ffmpeg, and exits 1 if any check failed.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from vm_judge import block, check, finish, note, read  # noqa: E402
from vm_judge import result as reported  # noqa: E402

log = read(sys.argv[1])


def result(name):
    r = reported(name)
    if r is not None and "error" in r["probe"]:
        check(False, f"{name}: the client failed: {r['probe']['error']}")
        return None
    return r


# 1. The listing.
listing = block("list-devices")
for needle in ["(uvcvideo) at usb-dummy_hcd", "MJPG (Motion-JPEG): passed through",
               "640x480 at 30, 15 fps", "1280x720 at 30, 15 fps",
               "brightness = 128 (integer 0..255, default 128)",
               "auto_exposure = 0 (menu: 0=auto_mode, 1=manual_mode",
               "--source auto uses /dev/video1"]:
    check(needle in listing, f"--list-devices shows {needle!r}")

# 2, 3. Pass-through, byte for byte, at the granted rate, in order; AVI1 frames too.
def published(r):
    """Frames the server published while its CPU time was measured."""
    return r["stats"]["frames_source"] - r["stats_before"]["frames_source"]


def per_frame_cpu(r):
    """ms of the server's CPU time (user and system) per frame published."""
    return r["cpu_ticks"] * 1000 / r["hz"] / published(r) if published(r) else 0


check(re.search(r"--source auto found a camera device=/dev/video1", log) is not None,
      "--source auto takes the webcam (the server says so)")
for name, size in [("mjpeg-640x480", "640x480"), ("mjpeg-1280x720", "1280x720"),
                   ("avi1-640x480", "640x480")]:
    r = result(name)
    if r is None:
        continue
    p, stats = r["probe"], r["stats"]
    m = re.search(r"live: MJPEG (\d+x\d+) at ([\d.]+) fps", stats["source_state"])
    check(m is not None and m.group(1) == size, f"{name}: granted {stats['source_state']!r}")
    granted = float(m.group(2)) if m else 0
    secs = p["seconds"][1:]  # the first second may hold a partial frame
    received = sum(s["live"] for s in secs) / len(secs)
    match = p["match"]
    # What the server took from the camera while the client read for 6 s (at least 80 %:
    # the emulated USB bus and the feeder slow down when the host is busy); the client may
    # take fewer (it checks every frame's bytes on an emulated CPU shared with the server,
    # and a slow client skips frames by design).
    rate = published(r) / r["window_s"]
    # What the camera itself sent in that session (its feeder's count, start to stop).
    after = log[log.index(f"RESULT {name} "):]
    sent = re.search(r"^FEEDER stream-off \S+: (\d+) frames in ([\d.]+) s$", after, re.M)
    camera = f"{int(sent.group(1)) / float(sent.group(2)):.1f}" if sent else "?"
    # Judged against what the camera itself sent (the emulated USB bus and the feeder slow
    # down when the host is busy: that is this machine's speed, not the server's), with a
    # floor against a stall.
    offered = float(camera) if sent else granted
    check(rate >= 0.8 * offered > 0 and rate >= 0.25 * granted,
          f"{name}: the server passes {rate:.1f} fps through of {camera} the camera sent "
          f"({granted:g} granted; {published(r)} frames in {r['window_s']:.1f} s)")
    check(received >= 0.5 * rate,
          f"{name}: the client receives {received:.1f} fps (decoding one frame in 5, comparing "
          f"the bytes of all)")
    check(match["matched"] > 0 and match["unmatched"] == 0,
          f"{name}: {match['matched']} frames equal to the camera's files byte for byte"
          + (" (with the standard Huffman tables inserted)" if name.startswith("avi1") else "")
          + f", {match['unmatched']} not")
    check(match["backwards"] == 0,
          f"{name}: in the camera's order ({match['backwards']} went back, "
          f"{match['skipped']} skipped by the client)")
    check(sum(s["bad"] for s in p["seconds"]) == 0, f"{name}: every frame decodes")
    note(f"pi-server CPU in the guest (emulated): {per_frame_cpu(r):.2f} ms per frame")

inserted = "inserting the standard tables" in log
check(inserted, "the server says once that it inserts Huffman tables for the AVI1 camera")

capture = open(sys.argv[2], "rb").read()
frames = capture.count(b"\xff\xd8\xff")
decoded = subprocess.run(["ffmpeg", "-v", "error", "-f", "jpeg_pipe", "-i", "-", "-f",
                          "framemd5", "-"], input=capture, capture_output=True)
lines = [l for l in decoded.stdout.decode().splitlines() if l and not l.startswith("#")]
check(frames > 0 and len(lines) == frames and not decoded.stderr.strip(),
      f"AVI1 frames as the client received them: ffmpeg on the host decodes {len(lines)} of "
      f"{frames} ({len(capture)} bytes) {decoded.stderr.decode().strip()[:200]}")

# 4. Controls.
run = log.split("CONTROL-RUN", 1)[-1]
check(re.search(r"^FEEDER control brightness=200$", run, re.M) is not None,
      "--control brightness=200 reaches the camera (the feeder got SET_CUR 200)")
m = re.search(r"^CONTROL-NOW +(.*)$", log, re.M)
check(m is not None and m.group(1).startswith("brightness = 200"),
      f"and the camera reports it ({m and m.group(1)})")
for bad, needle in [("brightness=300", "an integer from 0 to 255"),
                    ("contrast=3", "it has: brightness, auto_exposure")]:
    m = re.search(r"^BAD-CONTROL " + re.escape(bad) + r" (\d+) (.*)$", log, re.M)
    check(m is not None and m.group(1) == "2" and needle in m.group(2),
          f"--control {bad} is refused at start with the camera's own list: "
          f"{m and m.group(2)}")

# 4b. The same through /api/controls, with a client connected: the answer, the camera's own
# value (the feeder's SET_CUR lines between one API-MARK and the next) and the read-back.
api = {m.group(1): m.group(2) for m in re.finditer(r"^API (\S+) (.*)$", log, re.M)}


def api_controls(step):
    """The list of controls the API answered at STEP ([] when it answered no JSON)."""
    try:
        return json.loads(api.get(step, ""))
    except ValueError:
        return []


def api_brightness(step):
    """The brightness control the API answered at STEP, or None."""
    return next((c for c in api_controls(step) if c["name"] == "brightness"), None)


def feeder_saw(step):
    """The brightness values the feeder was set to after `API-MARK step`, up to the next."""
    if f"API-MARK {step}\n" not in log:
        return None
    section = log.split(f"API-MARK {step}\n", 1)[1].split("API-MARK ", 1)[0]
    return [int(v) for v in re.findall(r"^FEEDER control brightness=(\d+)$", section, re.M)]


listed = api_brightness("list")
camera = [c["name"] for c in api_controls("list") if c["group"] == "camera"]
check(listed is not None and listed["group"] == "camera" and listed["kind"] == "integer"
      and (listed["min"], listed["max"], listed["step"], listed["default"]) == (0, 255, 1, 128)
      and "auto_exposure" in camera,
      f"GET /api/controls lists the webcam's own controls {camera}, brightness with the "
      f"gadget's range: {listed}")
# 60, then null (the default, 128): each a change from the value before it.
before = listed["value"] if listed else None
for step, sent, want in [("set", "60", 60), ("reset", "null", 128)]:
    answered, now = api_brightness(step), api_brightness(step + "-now")
    check(want != before and answered is not None and answered["value"] == want
          and now is not None and now["value"] == want,
          f"PUT brightness {sent} (was {before}): 200, read back {answered and answered['value']}, "
          f"listed after {now and now['value']}")
    check(feeder_saw(step) == [want],
          f"and the camera got it over USB: the feeder's SET_CUR {feeder_saw(step)}")
    if step == "set":
        # The refusal, between the two: nothing changes, nothing reaches the camera.
        bad, still = api.get("bad", ""), api_brightness("bad-now")
        check("400 Bad Request" in bad and still is not None and still["value"] == want
              and feeder_saw("bad") == [],
              f"PUT brightness 300 (out of 0..255): {bad!r}; still {still and still['value']}, "
              f"the feeder set to {feeder_saw('bad') or 'nothing'}")
    before = want
r = result("api-client")
if r is not None:
    secs = r["probe"]["seconds"]
    check(r["connected_after"] and not r["probe"]["closed_early"]
          and sum(s["live"] for s in secs) > 0 and sum(s["bad"] for s in secs) == 0,
          f"a client stayed connected through the API's changes: {sum(s['live'] for s in secs)} "
          f"frames, every one decoded")
    note(f"the API's part of the run took {r['section_s']:.1f} s in the guest")

# 5. Unplug, three ways, one connection.
r = result("unplug")
if r is not None:
    secs = r["probe"]["seconds"]
    events = {m.group(1): float(m.group(2))
              for m in re.finditer(r"^EVENT (\S+) at ([\d.]+) s$", log, re.M)}
    note("per second (live/no signal): " + " ".join(f"{s['live']}/{s['no_signal']}" for s in secs))
    check(r["probe"]["closed_early"] is False, "unplug: the client stayed connected throughout")
    check(all(s["bad"] == 0 for s in secs), "unplug: every frame decoded")
    moved = re.search(r"^camera now at (\S+), was (\S+)$", log, re.M)
    check(moved is not None and moved.group(1) != moved.group(2),
          f"unplug: the unbound camera came back under another node ({moved and moved.group(0)})")
    for out, back in [("unbind", "bind"), ("feeder-killed", "feeder-restarted"),
                      ("deauthorised", "authorised")]:
        if out not in events or back not in events:
            check(False, f"unplug: no {out}/{back} events")
            continue
        t_out, t_back = int(events[out]), int(events[back])
        before = sum(s["live"] for s in secs[max(0, t_out - 2):t_out])
        gone = sum(s["no_signal"] for s in secs[t_out:t_back + 1])
        after = [i for i in range(t_back, min(len(secs), t_back + 6)) if secs[i]["live"]]
        check(before > 0 and gone > 0 and after,
              f"unplug by {out}: live before ({before} frames), 'no signal' while out ({gone}), "
              f"live again within {after[0] + 1 - events[back]:.1f} s of {back}"
              if after else
              f"unplug by {out}: live before ({before}), no signal ({gone}), live never again")
    check(r["stats"]["source_state"].startswith("live"),
          f"unplug: source live at the end ({r['stats']['source_state']})")
sessions = re.findall(r"camera frames passed over.* missed=(\d+) late=(\d+)", log)
note(f"the server's capture sessions with frames passed over: {len(sessions)}; missed "
     f"(numbered by uvcvideo, never handed over) {sum(int(m) for m, _ in sessions)}, late "
     f"(handed over after a newer frame, dropped) {sum(int(l) for _, l in sessions)}")
lost = re.findall(r"camera lost; .*cause=(.*)$", log, re.M)
note("causes of loss the server logged: " + "; ".join(sorted(set(lost))))

# 6. A /dev/v4l/by-id path.
r = result("by-id")
if r is not None:
    secs = r["probe"]["seconds"]
    note("per second (live/no signal): " + " ".join(f"{s['live']}/{s['no_signal']}" for s in secs))
    gone = [i for i, s in enumerate(secs) if s["no_signal"]]
    check(bool(gone) and sum(s["live"] for s in secs[:gone[0]]) > 0
          and sum(s["live"] for s in secs[gone[-1] + 1:]) > 0 and r["old"] != r["new"]
          and not r["probe"]["closed_early"],
          f"by-id: {r['stats']['source']} live, 'no signal' while unplugged, live again on the "
          f"same connection with the camera at {r['new']} (was {r['old']})")

# 7. Two cameras.
two = block("two-cameras")
m = re.search(r"^CAMERAS webcam=(\S+) vivid=(\S+)$", log, re.M)
check("(uvcvideo) at usb-dummy_hcd" in two and "(vivid) at platform:vivid" in two,
      "two cameras: --list-devices tells the webcam and vivid apart by driver and bus")
node = lambda path: int(path.removeprefix("/dev/video"))
check(m is not None and node(m.group(2)) < node(m.group(1))
      and f"--source auto uses {m.group(1)}" in two,
      f"two cameras: auto takes the webcam ({m and m.group(1)}), with MJPEG at 640x480, "
      f"over vivid ({m and m.group(2)}), which comes first")
for cam, fmt in [("webcam", "MJPEG"), ("vivid", "YUYV")]:
    r = result("two-" + cam)
    if r is None:
        continue
    p, stats = r["probe"], r["stats"]
    live = sum(s["live"] for s in p["seconds"])
    check(live > 0 and p["sizes"] == ["640x480"] and stats["source_state"].startswith(f"live: {fmt}"),
          f"two cameras at once: the {cam} server streams its own camera ({stats['source']}, "
          f"{stats['source_state']}, {live} frames in 4 s)")
figures = {}
for cam in ["webcam", "vivid"]:
    r = result("cpu-" + cam)
    if r is not None:
        figures[cam] = (per_frame_cpu(r), published(r) / r["window_s"])
if len(figures) == 2:
    (w, wf), (v, vf) = figures["webcam"], figures["vivid"]
    note(f"CPU per frame in the guest (emulated): webcam MJPEG passed through {w:.2f} ms "
         f"at {wf:.1f} fps, vivid YUYV encoded {v:.2f} ms at {vf:.1f} fps, each with one client ({v / w:.0f}x)"
         if w else "no CPU figures")

finish("uvc-vm-test")
