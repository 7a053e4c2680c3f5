#!/usr/bin/env bash
# pi-package.sh: pi-server's Debian packages, checked and installed.
#
# Makes $TARGET_DIR/debian/pi-server_<version>_{armhf,arm64,amd64}.deb with cargo-deb (the
# metadata is pi-server/Cargo.toml's [package.metadata.deb]): the binary in /usr/bin, the
# systemd unit (deploy/pi-server.service), /etc/pi-server.toml as a conffile, the README,
# and maintainer scripts (deploy/debian/) that create the unprivileged pi-server user in the
# video group and enable and start the service with deb-systemd-helper/-invoke.
#   armhf: scripts/pi-build.sh's ARMv6 build (static), so that one package runs on every Pi
#   arm64: its AArch64 build (glibc 2.31, so bullseye and bookworm)
#   amd64: a release build for this machine
# Then checks each with lintian (the package carries its overrides, from
# deploy/debian/lintian-overrides, each with its reason). With --install it also
#   - installs the arm64 package with dpkg into a Debian bookworm arm64 tree (debootstrap,
#     run under qemu-user through binfmt_misc), checks the user, its groups, the unit's
#     enablement, the conffile and the binary, then removes and purges it there;
#   - installs the amd64 package on this machine, checks the same, and the installed unit with
#     `systemd-analyze verify`, then purges it.
# Both run the unit's ExecStart as the pi-server user and fetch a snapshot from it (a
# chroot has no systemd to start the service, and this machine runs none either).
#
# usage: scripts/pi-package.sh [--install]       (run scripts/pi-build.sh armv6 aarch64 first)
# needs: root for --install; lintian, dpkg-dev (apt-get install lintian dpkg-dev
#   qemu-user-static debootstrap); cargo-deb is installed once into
#   $PI_CACHE/cargo-deb (default /var/cache/pi-mjpeg).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. scripts/pi-lib.sh

install=
case "${1:-}" in
  --install) install=1 ;;
  "") ;;
  *) die "usage: $0 [--install]" ;;
esac
cargo_deb_version=3.8.0
pi="$TARGET_DIR/pi"
debs="$TARGET_DIR/debian"
mkdir -p "$debs"

cargo_deb="$PI_CACHE/cargo-deb/bin/cargo-deb"
if ! "$cargo_deb" --version 2>/dev/null | grep -qF "$cargo_deb_version"; then
  echo "pi-package: installing cargo-deb $cargo_deb_version into $PI_CACHE/cargo-deb (once)" >&2
  cargo install --quiet --locked cargo-deb --version "$cargo_deb_version" --root "$PI_CACHE/cargo-deb"
fi
for tool in lintian systemd-analyze dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || die "$tool not found; apt-get install lintian systemd dpkg-dev"
done

# --- the packages ---------------------------------------------------------------------
version=$(cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "pi-server"))')

echo "pi-package: building pi-server for amd64 (release)" >&2
cargo build --release --quiet -p pi-server --bin pi-server
# cargo-deb takes a target's binary from <target dir>/<target>/release/: give it the Pi
# builds there, in a staging target dir of their own.
stage="$pi/deb-stage"
declare -A pi_build=([armhf]=armv6 [arm64]=aarch64)
declare -A rust_target=([armhf]=arm-unknown-linux-musleabihf [arm64]=aarch64-unknown-linux-gnu)
declare -A variant=([armhf]=pi-static [arm64]=pi-glibc)
for arch in armhf arm64 amd64; do
  deb="$debs/pi-server_${version}-1_$arch.deb"
  rm -f "$deb"
  if [ "$arch" = amd64 ]; then
    # The host's release profile keeps line tables for backtraces: strip them here.
    "$cargo_deb" --quiet -p pi-server --no-build --strip --deb-revision 1 -o "$deb"
  else
    bin="$pi/pi-server-${pi_build[$arch]}"
    [ -x "$bin" ] || die "$bin is missing: run scripts/pi-build.sh ${pi_build[$arch]}"
    mkdir -p "$stage/${rust_target[$arch]}/release"
    cp "$bin" "$stage/${rust_target[$arch]}/release/pi-server"
    # scripts/pi-build.sh stripped them already (this machine's strip knows no ARM).
    CARGO_TARGET_DIR="$stage" "$cargo_deb" --quiet -p pi-server --no-build --no-strip --deb-revision 1 \
      --variant "${variant[$arch]}" --target "${rust_target[$arch]}" -o "$deb"
  fi
  echo "pi-package: $deb ($(($(stat -c %s "$deb") / 1024)) KiB): $(dpkg-deb -f "$deb" Depends)"
done

# --- lintian --------------------------------------------------------------------------
failed=0
for arch in armhf arm64 amd64; do
  deb="$debs/pi-server_${version}-1_$arch.deb"
  # Errors and warnings fail; overridden tags are listed with their reasons.
  if ! lintian --allow-root --fail-on error,warning "$deb" > "$debs/lintian-$arch.log" 2>&1; then
    cat "$debs/lintian-$arch.log" >&2
    echo "pi-package: FAIL lintian $arch" >&2
    failed=1
  else
    echo "pi-package: lintian $arch: clean; overridden:"
    # (--show-overrides makes lintian exit 2, hence a second run for the listing.)
    lintian --allow-root --show-overrides "$deb" 2>&1 | grep '^O:' | sed 's/^/  /' || true
  fi
done
[ -n "$install" ] && [ "$failed" = 0 ] || exit "$failed"

# --- installed, removed, purged -------------------------------------------------------
check() { # WHAT COMMAND...: one line, ok or FAIL
  local what=$1
  shift
  if "$@" > /dev/null 2>&1; then echo "ok    $what"; else echo "FAIL  $what"; failed=1; fi
}

# Installs DEB into the Debian system at TREE (/ for this machine) and checks what the
# package promises there, serving the test pattern with the unit's own command as the
# pi-server user; then removes and purges it and checks what stays.
install_and_check() { # LABEL TREE DEB
  local label=$1 tree=$2 deb=$3 wants port exec server log
  wants="$tree/etc/systemd/system/multi-user.target.wants/pi-server.service"
  [ "$tree" = / ] || mountpoint -q "$tree/proc" || { mount -t proc proc "$tree/proc"; on_exit "umount '$tree/proc'"; }
  cp "$deb" "$tree/tmp/pi-server.deb"
  check "$label: dpkg -i" chroot "$tree" dpkg -i /tmp/pi-server.deb
  check "$label: the pi-server system user, no login" \
    sh -c "chroot '$tree' getent passwd pi-server | grep -q ':/nonexistent:/usr/sbin/nologin\$'"
  check "$label: pi-server is in the video group" \
    sh -c "chroot '$tree' id -nG pi-server | grep -qw video"
  check "$label: the unit is enabled (deb-systemd-helper)" test -L "$wants"
  check "$label: /etc/pi-server.toml is a conffile" \
    sh -c "chroot '$tree' dpkg-query -W -f '\${Conffiles}' pi-server | grep -q /etc/pi-server.toml"
  # On this machine (systemd's tools, the binary in place): the unit as installed.
  [ "$tree" != / ] || check "$label: systemd-analyze verify pi-server.service" \
    systemd-analyze verify /usr/lib/systemd/system/pi-server.service
  # The unit's command, as its user, moved off port 8000 (flags win over the config file).
  exec=$(sed -n 's/^ExecStart=//p' "$tree/usr/lib/systemd/system/pi-server.service")
  port=$(free_port)
  log="$debs/serve-$label.log"
  start server chroot --userspec=pi-server:pi-server "$tree" $exec --listen "127.0.0.1:$port" > "$log" 2>&1
  wait_http "http://127.0.0.1:$port/snapshot.jpg" "$label: the unit's command ($exec)" "$server" "$log" 60
  check "$label: the unit's command serves a snapshot as pi-server" \
    sh -c "curl -sf --max-time 10 http://127.0.0.1:$port/snapshot.jpg | head -c 2 | od -An -tx1 | grep -q 'ff d8'"
  stop "$server"
  check "$label: dpkg -r" chroot "$tree" dpkg -r pi-server
  check "$label: removed: the binary is gone" test ! -e "$tree/usr/bin/pi-server"
  check "$label: removed: /etc/pi-server.toml stays" test -f "$tree/etc/pi-server.toml"
  check "$label: removed: the unit is no longer enabled" test ! -e "$wants"
  check "$label: dpkg -P" chroot "$tree" dpkg -P pi-server
  check "$label: purged: /etc/pi-server.toml is gone" test ! -e "$tree/etc/pi-server.toml"
  check "$label: purged: no systemd state left (mask, wants)" \
    sh -c "! find '$tree/etc/systemd' '$tree/var/lib/systemd' -name 'pi-server.service*' 2>/dev/null | grep -q ."
  check "$label: purged: the pi-server user stays" chroot "$tree" getent passwd pi-server
  rm -f "$tree/tmp/pi-server.deb"
}

[ "$(id -u)" = 0 ] || die "--install needs root"
# One run at a time installs: into the cached arm64 system (its /proc mount) and here.
pi_lock install
install_and_check arm64 "$(pi_arm64_system bookworm)" "$debs/pi-server_${version}-1_arm64.deb"
install_and_check amd64 / "$debs/pi-server_${version}-1_amd64.deb"
exit "$failed"
