"""vm_judge: what the VM tests' verdicts share (scripts/v4l2-vm-test.sh, uvc-vm/judge.py).

The guest prints its findings on the console: `RESULT NAME {json}` lines, and text between
`BEGIN NAME` and `END NAME`. The judge reads them, prints one line per check (`ok` or
`FAIL`, with the figures) and exits 1 when any check failed.
"""
import json
import re
import sys

log = ""
failures = []


def read(path):
    """Reads the guest's console log; returns it."""
    global log
    log = open(path, errors="replace").read()
    return log


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def note(what):
    """A figure that is not a check."""
    print("      " + what)


def result(name):
    """The JSON of `RESULT name`, or None (a failed check) when the guest reported none."""
    m = re.search(r"^RESULT " + re.escape(name) + r" (.*)$", log, re.M)
    if not m:
        check(False, f"{name}: the guest reported nothing")
        return None
    return json.loads(m.group(1))


def block(name):
    """The text between `BEGIN name` and `END name`."""
    return log.split(f"BEGIN {name}", 1)[-1].split(f"END {name}", 1)[0]


def finish(script):
    print(f"{script}: {len(failures)} failed" if failures else f"{script}: all checks passed")
    sys.exit(1 if failures else 0)
