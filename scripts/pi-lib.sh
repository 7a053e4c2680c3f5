# scripts/pi-lib.sh: what the Raspberry Pi scripts (pi-qemu-test.sh, pi-package.sh) share:
# Debian arm64 trees kept in the cache, and running arm64 programs through binfmt_misc.
# shellcheck shell=bash
#
#   . "$(dirname "$0")/lib.sh"; . scripts/pi-lib.sh
#   pi_arm64_tree SUITE            # Debian SUITE for arm64, unpacked (debootstrap's first
#                                  # stage: no emulation); prints its path
#   pi_arm64_system SUITE          # the same, configured (second stage, under emulation)
#   pi_binfmt_aarch64              # the kernel runs arm64 programs with qemu-aarch64-static
#   pi_lock NAME                   # this run alone uses $PI_CACHE's NAME until it exits
#
# Env: PI_CACHE (default /var/cache/pi-mjpeg: the trees, about 300 MB each), DEBIAN_MIRROR
# (default http://deb.debian.org/debian). Needs root and debootstrap; the second stage also
# qemu-user-static.

PI_CACHE=${PI_CACHE:-/var/cache/pi-mjpeg}
PI_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

pi_arm64_tree() { # SUITE
  local dir="$PI_CACHE/rootfs/$1-arm64"
  if [ ! -e "$dir/.stamp-unpacked" ]; then
    command -v debootstrap >/dev/null || die "debootstrap not found; apt-get install debootstrap"
    echo "$LIB_NAME: unpacking Debian $1 arm64 into $dir (once)" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    debootstrap --foreign --arch=arm64 --variant=minbase "$1" "$dir" "$PI_MIRROR" \
      > "$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; die "debootstrap $1 arm64 failed"; }
    touch "$dir/.stamp-unpacked"
  fi
  echo "$dir"
}

pi_binfmt_aarch64() {
  local conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -f "$conf" ] || die "$conf is missing; apt-get install qemu-user-static"
  mountpoint -q /proc/sys/fs/binfmt_misc ||
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  # Its F flag opens the interpreter now, so that it works inside a chroot too.
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || cat "$conf" > /proc/sys/fs/binfmt_misc/register
}

pi_arm64_system() { # SUITE
  local dir="$PI_CACHE/rootfs/$1-arm64-system" tree
  if [ ! -e "$dir/.stamp-configured" ]; then
    tree=$(pi_arm64_tree "$1")
    pi_binfmt_aarch64
    echo "$LIB_NAME: configuring Debian $1 arm64 in $dir under emulation (once, minutes)" >&2
    rm -rf "$dir" && cp -a "$tree" "$dir" && rm "$dir/.stamp-unpacked"
    chroot "$dir" /debootstrap/debootstrap --second-stage > "$dir.log" 2>&1 ||
      { tail -n 20 "$dir.log" >&2; die "debootstrap's second stage in $dir failed"; }
    touch "$dir/.stamp-configured"
  fi
  echo "$dir"
}

# Two runs at once (CI and a developer, say) must not share a tree in the cache: each mounts
# its own clone and /proc at the same places there, and the first to finish unmounts them
# under the other. The lock is held until the script exits, after its exit trap unmounts.
pi_lock() { # NAME
  local file="$PI_CACHE/$1.lock" fd
  mkdir -p "$PI_CACHE"
  exec {fd}>"$file"
  flock -n "$fd" || {
    echo "$LIB_NAME: waiting for another run to finish with $PI_CACHE/$1 ($file)" >&2
    flock "$fd"
  }
}
