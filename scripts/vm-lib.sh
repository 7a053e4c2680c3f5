# scripts/vm-lib.sh: the qemu rig the VM tests share (v4l2-vm-test.sh, uvc-vm-test.sh):
# Debian's own kernel, a busybox initramfs holding our binaries, one boot.
# shellcheck shell=bash
#
#   . "$(dirname "$0")/lib.sh"; . scripts/vm-lib.sh
#   vm_kernel                  # VM_KVER, VM_KTREE (the package, unpacked), VM_KERNEL (to boot)
#   vm_prepare [--keep]        # our programs built, in VM_BIN; VM_WORK, a scratch dir (removed
#                              # at exit unless --keep), and VM_ROOT in it: vm_root's file system
#   vm_root ROOT               # a busybox root file system in ROOT
#   vm_modules ROOT MOD...     # MOD.ko and what it needs, in ROOT/lib/modules, appended to
#                              # ROOT/lib/modules/load-order (the guest insmods them in order)
#   vm_binaries ROOT FILE...   # our programs into ROOT/opt, with their shared libraries
#   vm_boot ROOT LOG [QEMU ARGS...]   # boot it; the console goes to stdout and LOG
#
# The kernel package is fetched once with `apt-get download linux-image-amd64` into
# VM_CACHE (${XDG_CACHE_HOME:-~/.cache}/pi-mjpeg/vm, about 70 MB; unpacked, 450 MB).
# Env: VM_ACCEL=kvm to use KVM where it works, VM_CPU (qemu CPU model under emulation),
# VM_TIMEOUT (seconds, default 240), VM_KERNEL_DEB (a linux-image-*.deb to use instead).
#
# VM_ARCH=arm64 or armhf boots Debian's linux-image-arm64 or linux-image-armmp under qemu's
# `virt` machine instead (apt-get install qemu-system-arm; `dpkg --add-architecture arm64`
# or armhf, and apt-get update), with that architecture's busybox-static, and the Raspberry
# Pi builds of `scripts/pi-build.sh --with-probe aarch64` (glibc: Debian's arm64 libc6 goes
# into the guest) or `... armv6` (static musl) as our programs. Its packages are kept in
# VM_CACHE/VM_ARCH.

VM_ARCH=${VM_ARCH:-amd64}
VM_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pi-mjpeg/vm"
case $VM_ARCH in
  amd64) VM_QEMU=(qemu-system-x86_64) VM_QEMU_PKG=qemu-system-x86 VM_CONSOLE=ttyS0 VM_KPKG=linux-image-amd64 ;;
  arm64)
    VM_QEMU=(qemu-system-aarch64 -M virt) VM_QEMU_PKG=qemu-system-arm VM_CONSOLE=ttyAMA0
    VM_KPKG=linux-image-arm64 VM_PI_BUILD=aarch64 VM_CACHE="$VM_CACHE/arm64" ;;
  armhf)
    VM_QEMU=(qemu-system-arm -M virt) VM_QEMU_PKG=qemu-system-arm VM_CONSOLE=ttyAMA0
    VM_KPKG=linux-image-armmp VM_PI_BUILD=armv6 VM_CACHE="$VM_CACHE/armhf" ;;
  *) die "VM_ARCH is amd64, arm64 or armhf, not $VM_ARCH" ;;
esac
# qemu's CPU under emulation. x86: emulated AVX is slow: a CPU model without it (Nehalem:
# SSE4.2) let the guest encode 25 fps at 640x480 where `-cpu max` managed 18.5.
declare -A VM_CPUS=([amd64]=Nehalem [arm64]=cortex-a72 [armhf]=cortex-a15)

vm_need() { # PACKAGES TOOL...: die naming the packages when a tool is missing
  local packages=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found; apt-get install $packages"
  done
}

vm_need "$VM_QEMU_PKG busybox-static cpio kmod xz-utils python3" \
  "${VM_QEMU[0]}" busybox cpio depmod xz dpkg-deb apt-get python3 ldd
# A dynamically linked busybox would need its libraries in the guest; the static one is
# self-contained.
VM_BUSYBOX=$(command -v busybox)
ldd "$VM_BUSYBOX" >/dev/null 2>&1 && die "busybox is dynamically linked; apt-get install busybox-static"

# Debian's ARCH package PACKAGE (the newest in VM_CACHE, else fetched there): its path.
vm_foreign_deb() { # PACKAGE
  local deb
  deb=$(ls -t "$VM_CACHE/$1"_*_"$VM_ARCH".deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    mkdir -p "$VM_CACHE"
    (cd "$VM_CACHE" && apt-get download "$1:$VM_ARCH" >&2) ||
      die "apt-get download $1:$VM_ARCH failed (dpkg --add-architecture $VM_ARCH; apt-get update)"
    deb=$(ls -t "$VM_CACHE/$1"_*_"$VM_ARCH".deb | head -1)
  fi
  echo "$deb"
}
if [ "$VM_ARCH" != amd64 ]; then
  VM_BUSYBOX="$VM_CACHE/busybox"
  if [ ! -x "$VM_BUSYBOX" ]; then
    deb=$(vm_foreign_deb busybox-static)
    dpkg-deb --fsys-tarfile "$deb" | tar -xO ./bin/busybox > "$VM_BUSYBOX.tmp"
    chmod 755 "$VM_BUSYBOX.tmp" && mv "$VM_BUSYBOX.tmp" "$VM_BUSYBOX"
  fi
fi

vm_kernel() {
  mkdir -p "$VM_CACHE"
  local deb=${VM_KERNEL_DEB:-} tmp versioned x off
  [ -n "$deb" ] || deb=$(ls -t "$VM_CACHE"/linux-image-[0-9]*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    echo "$LIB_NAME: fetching Debian's kernel package (once) into $VM_CACHE" >&2
    temp_dir tmp "$VM_CACHE"
    (cd "$tmp" && apt-get download "$VM_KPKG:$VM_ARCH" >&2) ||
      die "apt-get download $VM_KPKG:$VM_ARCH failed (apt-get update first?)"
    versioned=$(dpkg-deb -f "$tmp/$VM_KPKG"_*.deb Depends | grep -o 'linux-image-[0-9][^ ,(]*' | head -1)
    [ -n "$versioned" ] || die "$VM_KPKG depends on no versioned kernel"
    (cd "$tmp" && apt-get download "$versioned:$VM_ARCH" >&2) || die "apt-get download $versioned failed"
    mv "$tmp/$versioned"_*.deb "$VM_CACHE/"
    deb=$(ls -t "$VM_CACHE"/linux-image-[0-9]*.deb | head -1)
  fi
  VM_KDEB=$deb
  VM_KTREE="$VM_CACHE/$(basename "$deb" .deb).tree"
  if [ ! -f "$VM_KTREE/ready" ]; then
    echo "$LIB_NAME: unpacking $(basename "$deb")" >&2
    rm -rf "$VM_KTREE"
    x="$VM_KTREE.tmp"
    rm -rf "$x"
    dpkg-deb -x "$deb" "$x"
    depmod -b "$x" "$(ls "$x/lib/modules" | head -1)"
    # Booting the uncompressed ELF kernel (qemu's PVH entry) skips seconds of in-guest
    # decompression under emulation; the bzImage is the fallback.
    local vmlinuz
    vmlinuz=$(ls "$x"/boot/vmlinuz-* | head -1)
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1 || true)
    if [ -n "$off" ] && [ "$VM_ARCH" = amd64 ]; then
      tail -c +$((off + 1)) "$vmlinuz" | xz -dcq > "$x/boot/vmlinux" 2>/dev/null || true
      [ "$(head -c4 "$x/boot/vmlinux" | od -An -c | tr -d ' \n')" = '177ELF' ] || rm -f "$x/boot/vmlinux"
    fi
    mv "$x" "$VM_KTREE"
    touch "$VM_KTREE/ready"
  fi
  VM_KVER=$(ls "$VM_KTREE/lib/modules" | head -1)
  VM_KERNEL=$(ls "$VM_KTREE"/boot/vmlinuz-* | head -1)
  [ -f "$VM_KTREE/boot/vmlinux" ] && VM_KERNEL="$VM_KTREE/boot/vmlinux"
  return 0
}

vm_root() { # ROOT
  local root=$1 applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,opt,proc,sys,dev,tmp,run,etc,lib/modules}
  cp "$VM_BUSYBOX" "$root/bin/busybox"
  # The applets' names from this machine's busybox: an ARM one cannot run here (Debian's
  # busybox-static has the same version on every architecture).
  for applet in $(busybox --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
  : > "$root/lib/modules/load-order"
}

vm_prepare() { # [--keep]
  local name
  if [ "$VM_ARCH" = amd64 ]; then
    # Built for this machine: the guest runs the same x86_64 code.
    echo "$LIB_NAME: building pi-server and stream-probe (release)" >&2
    cargo build --release --quiet -p pi-server --bin pi-server -p e2e-tests --bin stream-probe
    VM_BIN=$BIN_DIR
  else
    for name in pi-server stream-probe; do
      [ -x "$TARGET_DIR/pi/$name-$VM_PI_BUILD" ] ||
        die "$TARGET_DIR/pi/$name-$VM_PI_BUILD is missing: run scripts/pi-build.sh --with-probe $VM_PI_BUILD"
    done
  fi
  if [ "${1:-}" = --keep ]; then
    VM_WORK=$(mktemp -d "${TMPDIR:-/tmp}/$LIB_NAME.XXXXXX")
    echo "$LIB_NAME: keeping the guest's files in $VM_WORK" >&2
  else
    temp_dir VM_WORK
  fi
  VM_ROOT="$VM_WORK/root"
  vm_root "$VM_ROOT"
  if [ "$VM_ARCH" != amd64 ]; then
    # Under their plain names, as vm_binaries copies them.
    VM_BIN="$VM_WORK/bin"
    mkdir -p "$VM_BIN"
    for name in pi-server stream-probe; do cp "$TARGET_DIR/pi/$name-$VM_PI_BUILD" "$VM_BIN/$name"; done
    # The dynamic arm64 build needs the loader, libc, libm, libpthread and libdl: libc6.
    [ "$VM_ARCH" != arm64 ] || dpkg-deb -x "$(vm_foreign_deb libc6)" "$VM_ROOT"
  fi
}

vm_modules() { # ROOT MODULE...
  local root=$1 dir="$VM_KTREE/lib/modules/$VM_KVER" name line chain i mod
  shift
  for name in "$@"; do
    line=$(grep -E "(^|/)$name\.ko(\.[a-z]+)?:" "$dir/modules.dep") || die "no $name in $VM_KDEB"
    read -r -a chain <<<"${line/:/}"
    # modules.dep lists a module, then what it needs, deepest last: load from the end.
    for ((i = ${#chain[@]} - 1; i >= 0; i--)); do
      mod=$(basename "${chain[$i]}")
      grep -qxF "$mod" "$root/lib/modules/load-order" && continue
      cp "$dir/${chain[$i]}" "$root/lib/modules/"
      echo "$mod" >> "$root/lib/modules/load-order"
    done
  done
}

vm_binaries() { # ROOT FILE...
  local root=$1 bin lib
  shift
  for bin in "$@"; do
    cp "$bin" "$root/opt/"
    # (ldd knows only this machine's programs; vm_prepare gave ARM guests their libc.)
    [ "$VM_ARCH" = amd64 ] || continue
    for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+' || true); do
      [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
    done
  done
}

vm_boot() { # ROOT LOG [QEMU ARGS...]
  local root=$1 log=$2 started accel
  shift 2
  (cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$root.initrd"
  accel=(-accel "tcg,thread=multi,tb-size=256" -cpu "${VM_CPU:-${VM_CPUS[$VM_ARCH]}}")
  [ "${VM_ACCEL:-tcg}" = kvm ] && accel=(-accel kvm -cpu host)
  echo "$LIB_NAME: booting $(basename "$VM_KERNEL") $VM_KVER (${VM_ACCEL:-tcg})" >&2
  started=$SECONDS
  # --foreground keeps qemu in the script's process group, so that Ctrl-C reaches it too.
  timeout --foreground -k 5 "${VM_TIMEOUT:-240}" "${VM_QEMU[@]}" -nographic -no-reboot -nic none \
    -m 1024 -smp 2 "${accel[@]}" -kernel "$VM_KERNEL" -initrd "$root.initrd" \
    -append "console=$VM_CONSOLE quiet loglevel=3 panic=-1" "$@" </dev/null 2>&1 |
    tr -d '\r' | tee "$log" || true
  echo "$LIB_NAME: guest ran $((SECONDS - started)) s" >&2
  grep -q '^VM-DONE' "$log" || die "the guest did not finish (see the console above)"
}
