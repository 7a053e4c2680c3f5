# scripts/lib.sh: what every script in scripts/ (and .ci/run) shares, so that each says it once.
# shellcheck shell=bash
#
#   set -euo pipefail
#   . "$(dirname "$0")/lib.sh"          # moves to the repository's root
#
# - TARGET_DIR, BIN_DIR: cargo's target dir ($CARGO_TARGET_DIR honoured, else target/), and
#   its release/ folder, where the scripts run the binaries from.
# - PI_SERVER_NO_ANNOUNCE=1 and VIEWER_NO_DISCOVERY=1 are exported: servers and viewers the
#   scripts start on loopback announce and ask nothing on the machine's real network; and
#   VIEWER_NO_REMEMBER=1: a script's window leaves the user's remembered cameras alone
#   (scripts/discovery-test.sh sets both to 0 inside its own network namespaces).
# - die MESSAGE: one line on stderr, prefixed with the script's name; exit 2.
# - free_port: a TCP port nothing listens on now (the kernel's pick).
# - start VAR CMD...: run CMD in the background in a process group of its own, put its pid in
#   VAR, and stop the whole group when the script ends (redirect its output on the call).
# - stop PID [SIGNAL]: signal a started process's group (TERM unless told), give it 5 s to
#   finish, then kill what is left and reap it.
# - temp_dir VAR [PARENT]: a new directory in VAR, removed when the script ends.
# - on_exit 'COMMAND': run COMMAND when the script ends (last registered, first run).
# - pause SECONDS: sleep, but give way at once to a signal sent to the script alone.
# - wait_until SECONDS WHAT PID LOG CMD...: retry CMD until it succeeds; fail at once if PID
#   exits, or after SECONDS, naming WHAT and showing the end of LOG (PID and LOG may be '').
# - wait_http URL WHAT PID LOG [SECONDS]: wait_until the URL answers 2xx (default 30 s).
# - wait_port HOST PORT WHAT PID LOG [SECONDS]: wait_until something accepts on HOST:PORT.
#
# The script ends the same way on success, failure (set -e), Ctrl-C and TERM: every process
# group it started is stopped, then the registered commands run (namespaces, links) and the
# temp dirs go. Ctrl-C exits with 130, TERM with 143.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/sbin:/sbin"

LIB_NAME=$(basename "$0" .sh)
# Relative paths are taken from the repository's root, as cargo takes them from its cwd.
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN_DIR="$TARGET_DIR/release"
export PI_SERVER_NO_ANNOUNCE=1 VIEWER_NO_DISCOVERY=1 VIEWER_NO_REMEMBER=1

die() {
  echo "$LIB_NAME: $*" >&2
  exit 2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Process groups started with `start`, and commands registered with `on_exit`/`temp_dir`.
LIB_PIDS=()
LIB_ON_EXIT=()

start() { # VAR CMD...
  local var=$1
  shift
  # A background child of a non-interactive shell is not a group leader, so setsid makes the
  # new session in place, without forking: the pid is the command's own, and its group's id.
  # Its children (cargo's server, the recipe's python) share the group and go with it.
  # Bash starts background commands with SIGINT ignored; env gives it back its default, so
  # that `stop PID INT` reaches programs that keep the disposition they inherit (python).
  setsid env --default-signal=INT "$@" &
  LIB_PIDS+=("$!")
  printf -v "$var" '%s' "$!"
}

# True while PID runs (a zombie does not count: it has finished and waits to be reaped).
lib_alive() {
  local stat
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Signal the groups of the given pids, wait up to 5 s for their leaders, kill what is left.
lib_stop_groups() { # SIGNAL PID...
  local sig=$1 pid i running
  shift
  for pid in "$@"; do kill "-$sig" -- "-$pid" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do
    running=
    for pid in "$@"; do lib_alive "$pid" && running=1; done
    [ -n "$running" ] || break
    sleep 0.1
  done
  for pid in "$@"; do
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

stop() { # PID [SIGNAL]
  local pid=$1 kept=() p
  lib_stop_groups "${2:-TERM}" "$pid"
  for p in "${LIB_PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  LIB_PIDS=("${kept[@]}")
}

on_exit() { # COMMAND
  LIB_ON_EXIT+=("$1")
}

temp_dir() { # VAR [PARENT]
  local dir
  dir=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/$LIB_NAME.XXXXXX")
  on_exit "rm -rf '$dir'"
  printf -v "$1" '%s' "$dir"
}

# Bash runs a trap only once the foreground command has finished; `wait` returns at once.
LIB_PAUSE=
pause() { # SECONDS
  sleep "$1" &
  LIB_PAUSE=$!
  wait "$LIB_PAUSE"
  LIB_PAUSE=
}

lib_cleanup() {
  local status=$? i
  # A second Ctrl-C must not cut the cleanup short.
  trap '' INT TERM
  [ -z "$LIB_PAUSE" ] || kill "$LIB_PAUSE" 2>/dev/null || true
  [ ${#LIB_PIDS[@]} -eq 0 ] || lib_stop_groups TERM "${LIB_PIDS[@]}"
  for ((i = ${#LIB_ON_EXIT[@]} - 1; i >= 0; i--)); do
    eval "${LIB_ON_EXIT[$i]}" >/dev/null 2>&1 || true
  done
  exit "$status"
}
trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_until() { # SECONDS WHAT PID LOG CMD...
  local seconds=$1 what=$2 pid=$3 log=$4 status deadline
  shift 4
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! lib_alive "$pid"; then
      wait "$pid" 2>/dev/null && status=0 || status=$?
      lib_fail_wait "$what exited (status $status) before it was ready" "$log"
    fi
    ((SECONDS < deadline)) || lib_fail_wait "$what was not ready within $seconds s" "$log"
    sleep 0.1
  done
}

lib_fail_wait() { # MESSAGE LOG
  echo "$LIB_NAME: $1" >&2
  if [ -n "$2" ] && [ -s "$2" ]; then
    echo "$LIB_NAME: the last lines of its log ($2):" >&2
    tail -n 40 "$2" | sed 's/^/  | /' >&2
  fi
  exit 1
}

lib_http_ok() { # URL
  if command -v curl >/dev/null; then
    curl -sf -o /dev/null --max-time 2 "$1"
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' "$1"
  fi
}

wait_http() { # URL WHAT PID LOG [SECONDS]
  wait_until "${5:-30}" "$2 (at $1)" "$3" "$4" lib_http_ok "$1"
}

lib_port_open() { # HOST PORT
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_port() { # HOST PORT WHAT PID LOG [SECONDS]
  wait_until "${6:-30}" "$3 (on $1:$2)" "$4" "$5" lib_port_open "$1" "$2"
}
