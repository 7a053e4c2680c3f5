#!/usr/bin/env python3
"""Checks for scripts/discovery-test.sh, on what the viewer and avahi print.

usage: discovery-check.py CHECK FILE ARGS...
  listed FILE SECONDS NAME...      --discover output: each NAME appeared within SECONDS
  stream-url FILE NAME             --discover output: print NAME's stream URL
  played FILE WHAT                 --headless --json output: frames arrived and decoded
  neighbours FILE NAME...          /api/cameras: each NAME is listed
  page-links FILE NAME URL         the index page's DOM: a link to URL named NAME
  avahi-lists FILE NAME TXT...     avahi-browse -rpt output: NAME resolved with each TXT
  vanished FILE NAME KILLED SECS   --discover output: NAME vanished within SECS of KILLED
Prints the figure it checked; exits 1 with a reason when the check fails.
"""
import json
import sys


def lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def fail(message):
    print(f"discovery-check: {message}", file=sys.stderr)
    sys.exit(1)


def listed(path, seconds, *names):
    events = lines(path)
    for name in names:
        seen = [e for e in events if e.get("type") == "appeared" and e["name"] == name]
        if not seen:
            fail(f"{name!r} was not listed; saw {[e.get('name') for e in events]}")
        t = seen[0]["t"]
        if t > float(seconds):
            fail(f"{name!r} appeared after {t} s, not within {seconds} s")
        print(f"   {name!r} appeared after {t:.3f} s ({seen[0]['stream']})")


def stream_url(path, name):
    summary = [e for e in lines(path) if e.get("type") == "summary"][-1]
    for camera in summary["cameras"]:
        if camera["name"] == name:
            print(camera["stream"])
            return
    fail(f"{name!r} is not in the summary")


def played(path, what):
    summary = [e for e in lines(path) if e.get("type") == "summary"]
    if not summary:
        fail(f"{what}: the viewer printed no summary")
    s = summary[-1]
    if s["decoded"] < 1:
        fail(f"{what}: nothing decoded ({s.get('last_error')})")
    print(f"   {what}: {s['decoded']} frames decoded, {s['resolution']}")


def neighbours(path, *names):
    with open(path) as f:
        listed_names = [c["name"] for c in json.load(f)["cameras"]]
    for name in names:
        if name not in listed_names:
            fail(f"/api/cameras does not list {name!r}: {listed_names}")
    print(f"   /api/cameras lists {listed_names}")


def page_links(path, name, url):
    with open(path) as f:
        dom = f.read()
    link = f'<a href="{url}">{name}</a>'
    if link not in dom:
        fail(f"the index page has no link {link}; its list: {dom[dom.find('others-list'):][:300]}")
    print(f"   the index page links to {name!r} at {url}")


def avahi_lists(path, name, *txt):
    # avahi-browse -p escapes spaces as \032; resolved lines start with '='.
    escaped = name.replace(" ", "\\032")
    with open(path) as f:
        resolved = [l.strip() for l in f if l.startswith("=") and f";{escaped};" in l]
    if not resolved:
        fail(f"avahi-browse did not resolve {name!r}")
    for record in txt:
        if not any(f'"{record}"' in l for l in resolved):
            fail(f"avahi-browse shows no TXT {record!r} for {name!r}: {resolved[0]}")
    fields = resolved[0].split(";")
    print(f"   avahi-browse: {name!r} at {fields[6]} {fields[7]}:{fields[8]}, TXT {fields[9]}")


def vanished(path, name, killed, seconds):
    gone = [e for e in lines(path) if e.get("type") == "vanished" and e["name"] == name]
    if not gone:
        fail(f"{name!r} never vanished")
    after = gone[0]["at"] - float(killed)
    if after > float(seconds):
        fail(f"{name!r} vanished {after:.2f} s after its shutdown, not within {seconds} s")
    print(f"   {name!r} vanished {after:.3f} s after SIGTERM")


CHECKS = {
    "listed": listed,
    "stream-url": stream_url,
    "played": played,
    "neighbours": neighbours,
    "page-links": page_links,
    "avahi-lists": avahi_lists,
    "vanished": vanished,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in CHECKS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    CHECKS[sys.argv[1]](*sys.argv[2:])
