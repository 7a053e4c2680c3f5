#!/usr/bin/env bash
# pi-check.sh: everything the Raspberry Pi work checks, in one run, with each step's time.
#
# .ci/run runs it, after the other tests. Cold (no /var/cache/pi-mjpeg, no
# ~/.cache/pi-mjpeg/vm; 2 cores, nothing else running) it took 835 s: the toolchain chroot
# 66 s, the ARMv6 build 204, AArch64 160, the emulated CPUs 103 (arm64 libraries unpacked
# on the way), the packages 142, the ARM kernels 79 and 77. Warm (those caches kept) it took
# 285 s. It keeps 4.0 GB in /var/cache/pi-mjpeg and 1.2 GB in ~/.cache/pi-mjpeg/vm and
# prints its own times at the end. Steps:
#   1. scripts/pi-build.sh --with-probe armv6 aarch64   (armv7 too with PI_CHECK_ARMV7=1)
#   2. scripts/pi-qemu-test.sh                           (emulated Pi CPUs, both libcs)
#   3. scripts/pi-package.sh --install                   (lintian, dpkg in arm64 and here)
#   4. VM_ARCH=armhf and arm64 scripts/v4l2-vm-test.sh   (vivid on Debian's ARM kernels)
# usage: sudo scripts/pi-check.sh       (installs the Debian packages it needs, as CI would)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || die "needs root"
dpkg --add-architecture armhf
dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq --no-install-recommends debootstrap qemu-user qemu-user-static \
  qemu-system-arm busybox-static cpio kmod xz-utils lintian dpkg-dev curl python3 > /dev/null

builds=(armv6 aarch64)
[ -z "${PI_CHECK_ARMV7:-}" ] || builds+=(armv7)
times=()
step() { # NAME COMMAND...
  local name=$1 started=$SECONDS
  shift
  echo "=== pi-check: $name"
  "$@"
  times+=("$(printf '%-28s %4d s' "$name" $((SECONDS - started)))")
}
step "pi-build" scripts/pi-build.sh --with-probe "${builds[@]}"
step "pi-qemu-test" scripts/pi-qemu-test.sh "${builds[@]}"
step "pi-package --install" scripts/pi-package.sh --install
step "v4l2-vm-test armhf" env VM_ARCH=armhf VM_TIMEOUT=400 scripts/v4l2-vm-test.sh
step "v4l2-vm-test arm64" env VM_ARCH=arm64 VM_TIMEOUT=400 scripts/v4l2-vm-test.sh
echo "=== pi-check: all passed; times:"
printf '  %s\n' "${times[@]}"
echo "  total                        $SECONDS s"
