#!/usr/bin/env bash
# pi-build.sh: release pi-server for every Raspberry Pi, built on a Debian/Ubuntu PC as root.
#
# Builds, stripped, into $TARGET_DIR/pi/ (target/pi/ unless CARGO_TARGET_DIR says otherwise):
#   pi-server-armv6    arm-unknown-linux-musleabihf, static: Pi Zero, Zero W, Pi 1, and every
#                      Pi on a 32-bit OS (ARMv6 code, Thumb-1, VFPv2; no libraries at all)
#   pi-server-armv7    armv7-unknown-linux-musleabihf, static: Pi 2, 3, 4 on a 32-bit OS
#   pi-server-aarch64  aarch64-unknown-linux-gnu against glibc 2.31: Pi 3, 4, 5, Zero 2 W on
#                      a 64-bit OS (Raspberry Pi OS bullseye's glibc is 2.31, bookworm's 2.36)
# the AArch64 one with `--features turbojpeg` (libjpeg-turbo) unless --no-turbojpeg is
# given or it fails to build (then without, saying so); the 32-bit ones without (see
# below). Then it checks what each binary needs: no dynamic section in the static ones, no
# glibc symbol version above 2.31 in the other, and the ARMv6 binary's ELF attributes
# (`readelf -A`), which a single ARMv7 object would turn into v7.
#
# usage: scripts/pi-build.sh [--no-turbojpeg] [--with-probe] [armv6|armv7|aarch64 ...]
#   (default: all three); --with-probe also builds our stream-probe for them, as
#   $TARGET_DIR/pi/stream-probe-NAME (the VM tests on ARM kernels run it in the guest).
#
# The toolchain: rustup's ARM targets cannot be fetched everywhere (not on this project's
# machines), so it uses Debian's: a trixie chroot (debootstrap) with rustc/cargo 1.97 from
# trixie-backports, Debian's aarch64 standard library, the standard library's source for the
# 32-bit targets (built with -Zbuild-std, an unstable flag, hence RUSTC_BOOTSTRAP=1 there),
# cargo-zigbuild and zig (both from PyPI) as the linker: zig links musl statically with
# ARMv6-safe start-up code (Debian's armhf gcc emits ARMv7 code that a Pi Zero cannot run)
# and links against any glibc version's symbols (`TARGET.2.31`), with no sysroot to fetch.
# It all lives in $PI_CACHE (default /var/cache/pi-mjpeg, outside the clone: about 4 GB):
# made once (about 3 minutes), then a run only builds (cold, about 7 to 14 minutes a
# target on 2 cores; warm, seconds). A second run waits while one uses the chroot. Each
# target keeps its own cargo target dir, since switching RUSTC_BOOTSTRAP in one dir
# rebuilds everything.
# needs: root, debootstrap (installed here when missing), and Debian's mirror
# (DEBIAN_MIRROR, default http://deb.debian.org/debian), crates.io and PyPI.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. scripts/pi-lib.sh

turbojpeg=1
probe=
wanted=()
for arg in "$@"; do
  case $arg in
    --no-turbojpeg) turbojpeg= ;;
    --with-probe) probe=1 ;;
    armv6 | armv7 | aarch64) wanted+=("$arg") ;;
    *) die "usage: $0 [--no-turbojpeg] [--with-probe] [armv6|armv7|aarch64 ...]" ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(armv6 armv7 aarch64)
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"

cache=$PI_CACHE
mirror=$PI_MIRROR
root="$cache/trixie"
out="$TARGET_DIR/pi"
mkdir -p "$cache" "$out"
# One run at a time in the chroot (its mounts, its stamps, its target dirs).
pi_lock trixie

# Versions of the tools fetched into the chroot (those seen working).
zigbuild_version=0.24.1
zig_version=0.17.1

# --- the chroot -----------------------------------------------------------------------
# Each step leaves a stamp, so an interrupted preparation resumes where it stopped.
in_root() { # COMMAND (a bash script run in the chroot, with the toolchain's environment)
  chroot "$root" /usr/bin/env -i HOME=/root CARGO_HOME=/root/.cargo \
    PATH=/opt/zig/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    CARGO_HTTP_CAINFO=/root/host-ca-bundle.crt PIP_CERT=/root/host-ca-bundle.crt \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 CARGO_TERM_COLOR=never \
    /bin/bash -euo pipefail -c "$1"
}

if [ ! -e "$root/.stamp-debootstrap" ]; then
  command -v debootstrap >/dev/null || apt-get install -y --no-install-recommends debootstrap
  echo "pi-build: making the trixie chroot in $root (once)" >&2
  rm -rf "$root"
  debootstrap --variant=minbase trixie "$root" "$mirror" > "$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
  touch "$root/.stamp-debootstrap"
fi

# Mounts for this run only: /proc (cargo and rustc read /proc/self), and this clone,
# read-only, at /src. Target dirs and cargo's registry stay in the chroot, in the cache.
# Under the lock, a mount already there is a killed run's: /src may be another clone.
mkdir -p "$root/src"
for dir in "$root/src" "$root/proc"; do
  while mountpoint -q "$dir"; do umount "$dir"; done
done
mount -t proc proc "$root/proc"
on_exit "umount '$root/proc'"
mount --bind . "$root/src"
on_exit "umount '$root/src'"
mount -o remount,bind,ro "$root/src"
# The host's CA bundle: a machine behind a TLS-inspecting proxy trusts its CA there.
cp /etc/ssl/certs/ca-certificates.crt "$root/root/host-ca-bundle.crt"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

if [ ! -e "$root/.stamp-packages" ]; then
  echo "pi-build: installing Rust, the ARM standard library and cmake in the chroot (once)" >&2
  echo "deb $mirror trixie-backports main" > "$root/etc/apt/sources.list.d/trixie-backports.list"
  in_root '
    dpkg --add-architecture arm64
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends -t trixie-backports \
      rustc cargo libstd-rust-dev:arm64 rust-src
    # gcc: build scripts and proc macros run here; cmake and make: libjpeg-turbo;
    # python3-venv: zig from PyPI.
    apt-get install -y -qq --no-install-recommends gcc libc6-dev make cmake \
      python3-venv ca-certificates
    apt-get clean' > "$cache/packages.log" 2>&1 ||
    { tail -n 20 "$cache/packages.log" >&2; die "installing the chroot's packages failed (log: $cache/packages.log)"; }
  touch "$root/.stamp-packages"
fi

# Both from PyPI, as built wheels: `cargo install cargo-zigbuild` compiled it for minutes.
zig_stamp="$root/.stamp-pypi-zig-$zig_version-$zigbuild_version"
if [ ! -e "$zig_stamp" ]; then
  echo "pi-build: installing zig $zig_version and cargo-zigbuild $zigbuild_version in the chroot (once)" >&2
  in_root "
    rm -rf /opt/zig /opt/zigbuild && python3 -m venv /opt/zig
    /opt/zig/bin/pip install --quiet ziglang==$zig_version cargo-zigbuild==$zigbuild_version" \
    > "$cache/zig.log" 2>&1 ||
    { tail -n 20 "$cache/zig.log" >&2; die "installing zig or cargo-zigbuild failed (log: $cache/zig.log)"; }
  touch "$zig_stamp"
fi
echo "pi-build: toolchain: $(in_root 'rustc -V; cargo-zigbuild --version; echo zig $(python3 -m ziglang version)' | paste -sd ';' | sed 's/;/; /g')" >&2

# --- the builds -------------------------------------------------------------------------
# Each build's Rust target; zig takes the glibc version to link against as a suffix.
declare -A rust_target=(
  [armv6]=arm-unknown-linux-musleabihf
  [armv7]=armv7-unknown-linux-musleabihf
  [aarch64]=aarch64-unknown-linux-gnu
)
declare -A zig_suffix=([aarch64]=.2.31)

build() { # NAME FEATURES -> the release folder's path on the host, or failure
  local name=$1 features=$2 target=${rust_target[$1]} std='' env='' bins='-p pi-server --bin pi-server'
  [ -z "$probe" ] || bins="$bins -p e2e-tests --bin stream-probe"
  if [ "$name" != aarch64 ]; then
    # No Debian standard library for these targets: build it from source.
    std='-Zbuild-std=std,panic_abort'
    # zig brings the C runtime's start-up files; Rust's own copies are not in rust-src.
    env="RUSTC_BOOTSTRAP=1 CARGO_TARGET_$(tr a-z- A-Z_ <<<"$target")_RUSTFLAGS='-C link-self-contained=no'"
  fi
  in_root "
    cd /src
    export $env CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_PROFILE_RELEASE_DEBUG=false
    cargo zigbuild --locked --release $bins \
      --target $target${zig_suffix[$name]:-} --target-dir /root/targets/$name $std $features" \
    >> "$out/$name.log" 2>&1 || return 1
  echo "$root/root/targets/$name/$target/release"
}

built=()
for name in "${wanted[@]}"; do
  : > "$out/$name.log"
  started=$SECONDS
  with=
  # libjpeg-turbo's build (turbojpeg-sys, REQUIRE_SIMD by default) stops where it finds no
  # NEON. ARMv6 has none. For ARMv7 its check (`-mfpu=neon`, then `__ARM_NEON__`) fails
  # under zig, which ignores -mfpu and takes NEON from -mcpu alone (`zig cc -mcpu=cortex_a7`
  # defines __ARM_NEON__, `-mfpu=neon` does not), and the target's -mcpu lacks it; a build
  # with `-C target-feature=+neon` (every ARMv7 Pi has NEON) is untried. Those two go
  # without, and the attempt is not made.
  if [ -n "$turbojpeg" ] && [ "$name" = aarch64 ] &&
    release=$(build "$name" "--features pi-server/turbojpeg"); then
    with=" with turbojpeg"
  else
    [ -n "$turbojpeg" ] && [ "$name" = aarch64 ] && echo "pi-build: $name: turbojpeg did not build (log: $out/$name.log); building without" >&2
    release=$(build "$name" "") ||
      { tail -n 30 "$out/$name.log" >&2; die "$name: build failed (log: $out/$name.log)"; }
  fi
  cp "$release/pi-server" "$out/pi-server-$name"
  [ -z "$probe" ] || cp "$release/stream-probe" "$out/stream-probe-$name"
  echo "pi-build: $name: ${rust_target[$name]}$with in $((SECONDS - started)) s" >&2
  built+=("$name")
done

# --- what each binary needs -------------------------------------------------------------
failed=0
fail() { echo "pi-build: FAIL $*" >&2; failed=1; }
for name in "${built[@]}"; do
  bin="$out/pi-server-$name"
  size=$(stat -c %s "$bin")
  readelf -S "$bin" | grep -q '\.symtab' && fail "$name: not stripped"
  if [ "$name" = aarch64 ]; then
    # The newest glibc symbol version it asks for must be at most bullseye's 2.31.
    newest=$(readelf -V "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
    interp=$(readelf -l "$bin" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
    linked="dynamic ($interp), newest symbol $newest"
    [ "$(printf '%s\nGLIBC_2.31\n' "$newest" | sort -V | tail -1)" = GLIBC_2.31 ] ||
      fail "$name: needs $newest, newer than bullseye's GLIBC_2.31"
  else
    linked=static
    readelf -d "$bin" 2>/dev/null | grep -q NEEDED && fail "$name: needs shared libraries"
    readelf -l "$bin" | grep -q INTERP && fail "$name: asks for a dynamic loader"
  fi
  echo "pi-build: $bin: $((size / 1024)) KiB, $linked" >&2
  if [ "$name" = armv6 ]; then
    attrs=$(readelf -A "$bin")
    for want in "Tag_CPU_arch: v6" "Tag_THUMB_ISA_use: Thumb-1" "Tag_FP_arch: VFPv2"; do
      grep -q "^ *$want\$" <<<"$attrs" || fail "$name: readelf -A lacks '$want'"
    done
    echo "pi-build:   $(grep -E 'Tag_(CPU_arch|THUMB_ISA_use|FP_arch|ABI_VFP_args)' <<<"$attrs" | sed 's/^ *//' | paste -sd ';' | sed 's/;/, /g')" >&2
  fi
done
exit "$failed"
