#!/usr/bin/env bash
# uvc-vm-test.sh: pi-server against a real USB webcam as the kernel sees one, with no
# camera attached.
#
# In the qemu guest of scripts/vm-lib.sh (Debian's kernel), a USB Video Class gadget
# (scripts/uvc-vm/gadget.sh) sits on the device side of dummy_hcd, served by our feeder
# (scripts/uvc-vm/feeder.c) with JPEG files we choose (scripts/uvc-vm/frames.py); on the
# host side of the same virtual bus the kernel's own uvcvideo drives it over isochronous
# transfers, so pi-server sees a USB webcam offering MJPG 640x480 and 1280x720 at 30 and 15
# fps, with brightness and auto-exposure controls. Debian's dummy_hcd has no isochronous
# endpoints, so it is rebuilt from Debian's source of the booted kernel with
# scripts/uvc-vm/dummy_hcd-iso.patch (cached). Checked, each with its figures:
#   1. --list-devices shows the webcam's MJPG sizes, rates and controls; --source auto takes it;
#   2. MJPEG pass-through at 640x480@30 and 1280x720@15: the server passes frames at the
#      granted rate (80 % or more), and the client receives the feeder's files byte for
#      byte, in order;
#   3. AVI1 frames without Huffman tables reach the client with the standard tables, equal
#      to the source files with those tables, and ffmpeg on the host decodes them;
#   4. --control brightness=200 reaches the camera (the feeder reports the SET_CUR); a value
#      out of range and an unknown control are refused with the camera's own list; through
#      /api/controls, with a client connected, the webcam's own controls are listed (group
#      "camera", brightness with the gadget's range), brightness 60 and then null (its
#      default) read back and reach the camera, and 300 gets 400 and reaches nothing;
#   5. unplug while streaming, three ways (the gadget unbound while something holds the old
#      node, so the camera comes back under another /dev/videoN; the feeder killed; the USB
#      device de-authorised): the client gets "no signal", then live frames again on the
#      same connection;
#   6. the same through a /dev/v4l/by-id/ path, the camera back under another node;
#   7. the webcam beside vivid: --list-devices tells them apart, two servers serve one each,
#      and CPU per frame of MJPEG pass-through against vivid's YUYV encoded.
#
# usage: scripts/uvc-vm-test.sh [--keep]       (--keep: leave the guest files in $work)
# needs (Debian): apt-get install qemu-system-x86 busybox-static cpio kmod xz-utils gcc make
#   patch libc6-dev binutils ffmpeg python3
# Caches in ${XDG_CACHE_HOME:-~/.cache}/pi-mjpeg/: vm/ (the kernel, see vm-lib.sh) and uvc/
# (linux-source, headers and kbuild of that kernel, 153 MB; the built dummy_hcd.ko).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. scripts/vm-lib.sh
vm_need "gcc make patch libc6-dev binutils ffmpeg" gcc make patch strip ffmpeg
vm_kernel

# --- dummy_hcd with isochronous endpoints, built for exactly this kernel ------------------
uvc_cache="${XDG_CACHE_HOME:-$HOME/.cache}/pi-mjpeg/uvc"
patch_file=scripts/uvc-vm/dummy_hcd-iso.patch
module="$uvc_cache/$VM_KVER-$(md5sum < "$patch_file" | cut -c1-12)/dummy_hcd.ko"
if [ ! -f "$module" ]; then
  started=$SECONDS
  version=$(dpkg-deb -f "$VM_KDEB" Version) # 6.1.192-3
  series=$(echo "$version" | cut -d. -f1,2)   # 6.1
  packages=("linux-headers-$VM_KVER" "linux-headers-${VM_KVER%-*}-common" "linux-kbuild-$series"
    "linux-source-$series")
  mkdir -p "$uvc_cache/debs"
  for p in "${packages[@]}"; do
    ls "$uvc_cache/debs/${p}_${version}"_*.deb >/dev/null 2>&1 && continue
    echo "uvc-vm-test: fetching $p $version (once) into $uvc_cache/debs" >&2
    (cd "$uvc_cache/debs" && apt-get download "$p=$version" >&2) ||
      die "apt-get download $p=$version failed (the archive must still have the booted kernel's version)"
  done
  temp_dir build
  for p in "${packages[@]:0:3}"; do dpkg-deb -x "$uvc_cache/debs/${p}_${version}"_*.deb "$build"; done
  headers="$build/usr/src/linux-headers-$VM_KVER"
  # The headers' Makefile includes the common headers by their installed path.
  sed -i "s|include /usr/src/|include $build/usr/src/|" "$headers/Makefile"
  mkdir "$build/mod"
  dpkg-deb --fsys-tarfile "$uvc_cache/debs/linux-source-${series}_${version}"_*.deb |
    tar -xO "./usr/src/linux-source-$series.tar.xz" |
    tar -xJO "linux-source-$series/drivers/usb/gadget/udc/dummy_hcd.c" > "$build/mod/dummy_hcd.c"
  patch -s -d "$build/mod" dummy_hcd.c < "$patch_file" ||
    die "$patch_file does not apply to $version's dummy_hcd.c"
  echo 'obj-m := dummy_hcd.o' > "$build/mod/Kbuild"
  make -s -C "$headers" M="$build/mod" modules 2>&1 | grep -v 'Skipping BTF' >&2 || true
  [ -f "$build/mod/dummy_hcd.ko" ] || die "building dummy_hcd.ko failed"
  strip --strip-debug "$build/mod/dummy_hcd.ko"
  mkdir -p "$(dirname "$module")"
  cp "$build/mod/dummy_hcd.ko" "$module.tmp" && mv "$module.tmp" "$module"
  echo "uvc-vm-test: built $module in $((SECONDS - started)) s" >&2
fi

# --- our programs and the camera's pictures -----------------------------------------------
vm_prepare "${1:-}"
work=$VM_WORK root=$VM_ROOT
vm_modules "$root" dummy_hcd libcomposite usb_f_uvc uvcvideo vivid
cp "$module" "$root/lib/modules/dummy_hcd.ko"
gcc -O2 -Wall -static -o "$work/feeder" scripts/uvc-vm/feeder.c
python3 scripts/uvc-vm/frames.py "$root/opt/frames"
vm_binaries "$root" "$BIN_DIR/pi-server" "$BIN_DIR/stream-probe" "$work/feeder" scripts/uvc-vm/gadget.sh

cat > "$root/init" <<'GUEST'
#!/bin/sh
export PATH=/opt:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
ip link set lo up
stty -F /dev/ttyS1 raw -echo
for m in $(cat /lib/modules/load-order); do
  case $m in vivid.ko*) ;; *) insmod /lib/modules/$m ;; esac
done
mount -t configfs none /sys/kernel/config
up() { read -r t _ < /proc/uptime; echo "$t"; }
# The uvcvideo capture node, once it is there (a USB device enumerates in about a second).
camera() {
  for i in $(seq 100); do
    for d in /sys/class/video4linux/video*; do
      case $(readlink "$d/device/driver") in
        */uvcvideo) [ "$(cat "$d/index")" = 0 ] && { echo "/dev/${d##*/}"; return 0; } ;;
      esac
    done
    sleep 0.1
  done
  return 1
}
feeder_start() { feeder -f /opt/frames/$1 & FEEDER=$!; }
gadget.sh up cam dummy_udc.0 "USB Webcam" 0001
feeder_start dht
CAM=$(camera) || { echo "no webcam appeared"; dmesg | tail -30; echo VM-DONE; poweroff -f; }
echo "webcam at $CAM after $(up) s"

echo "BEGIN list-devices"
pi-server --list-devices
echo "END list-devices"

cpu() { set -- $(cat /proc/$1/stat); echo $(( ${14} + ${15} )); }
stats() { wget -qO- http://127.0.0.1:${1:-8000}/stats | tr -d '\n'; }

# Pass-through: NAME SIZE FPS FRAMES SOURCE EXTRA...
capture() {
  name=$1 size=$2 fps=$3 frames=$4 source=$5; shift 5
  pi-server --source $source --size $size --fps $fps --listen 127.0.0.1:8000 "$@" 2>/tmp/server.log &
  server=$!
  stream-probe --seconds 1 >/dev/null      # warm-up: connect, first frames
  before=$(cpu $server) first=$(stats) t0=$(up)
  probe=$(stream-probe --seconds 6 --decode-every 5 --match /opt/frames/$frames/$size --save /tmp/$name.mjpg)
  after=$(cpu $server)
  echo "RESULT $name {\"probe\": $probe, \"stats_before\": $first, \"stats\": $(stats), \"window_s\": $(echo "$(up) $t0" | awk '{ print $1 - $2 }'), \"cpu_ticks\": $((after - before)), \"hz\": 100}"
  kill $server; wait $server
  sed 's/^/  server: /' /tmp/server.log
}
capture mjpeg-640x480 640x480 30 dht auto
echo "CONTROL-RUN"
capture mjpeg-1280x720 1280x720 15 dht v4l2:$CAM --control brightness=200
echo "CONTROL-NOW $(pi-server --list-devices | grep -m1 '^    brightness')"

# A camera that leaves out the Huffman tables: the feeder restarted with those files.
kill $FEEDER; wait $FEEDER; sleep 1
feeder_start avi1
CAM=$(camera)
capture avi1-640x480 640x480 30 avi1 v4l2:$CAM
cat /tmp/avi1-640x480.mjpg > /dev/ttyS1

for bad in brightness=300 contrast=3; do
  pi-server --source v4l2:$CAM --control $bad --listen 127.0.0.1:8000 2>/tmp/bad.log
  echo "BAD-CONTROL $bad $? $(head -1 /tmp/bad.log)"
done

# Live controls (/api/controls) with a client connected: brightness set through the API
# reaches the camera over USB (the feeder prints each SET_CUR it gets, before uvcvideo's
# ioctl, and so the API's answer, returns: an API-MARK line orders them). busybox wget can
# only POST (the API takes it as PUT) and prints only the status line of a refusal.
api() { # [BODY]: GET the controls, or set BODY; one line, the JSON or wget's error
  if [ $# = 0 ]; then wget -qO- http://127.0.0.1:8000/api/controls 2>&1
  else wget -qO- --header 'Content-Type: application/json' --post-data "$1" \
    http://127.0.0.1:8000/api/controls 2>&1
  fi | tr -d '\n'
}
pi-server --source v4l2:$CAM --size 640x480 --fps 30 --open-controls \
  --listen 127.0.0.1:8000 2>/tmp/server.log &
server=$!
stream-probe --seconds 1 >/dev/null  # the camera open: its controls are listed from then on
t0=$(up)
stream-probe --seconds 3 --decode-every 5 > /tmp/api.json &
probe=$!
echo "API list $(api)"
for step in 'set {"brightness": 60}' 'bad {"brightness": 300}' 'reset {"brightness": null}'; do
  echo "API-MARK ${step%% *}"
  echo "API ${step%% *} $(api "${step#* }")"
  echo "API ${step%% *}-now $(api)"
done
kill -0 $probe 2>/dev/null && connected=true || connected=false
echo "API-MARK end"
wait $probe
echo "RESULT api-client {\"probe\": $(cat /tmp/api.json), \"connected_after\": $connected, \"section_s\": $(echo "$(up) $t0" | awk '{ print $1 - $2 }')}"
kill $server; wait $server
sed 's/^/  server: /' /tmp/server.log

# Unplug while streaming, three ways, one client connected throughout.
kill $FEEDER; wait $FEEDER; sleep 1
feeder_start dht
CAM=$(camera)
pi-server --source v4l2:$CAM --size 640x480 --fps 30 --listen 127.0.0.1:8000 2>/tmp/server.log &
server=$!
stream-probe --seconds 1 >/dev/null
start=$(up)
stream-probe --seconds 36 --decode-every 5 > /tmp/unplug.json &
probe=$!
at() { echo "EVENT $1 at $(echo "$(up) $start" | awk '{ printf "%.1f", $1 - $2 }') s"; }
sleep 4
# Something (a second program) holds the old node: the camera comes back under a new one.
sleep 6 < $CAM &
holder=$!
sleep 0.5
gadget.sh unplug cam; at unbind
sleep 3; echo "during unbind: $(stats)"
gadget.sh plug cam dummy_udc.0; at bind
sleep 7; echo "camera now at $(camera), was $CAM"
# SIGKILL: the firmware dies mid-stream, and its closed node disconnects the gadget. (A
# feeder stopping the stream itself mid-transfer crashed 6.1's f_uvc here: a request freed
# while dummy_hcd completed it.)
kill -9 $FEEDER; wait $FEEDER; at feeder-killed
sleep 3
feeder_start dht; at feeder-restarted
sleep 7
usb=$(for d in /sys/bus/usb/devices/*; do [ "$(cat $d/product 2>/dev/null)" = "USB Webcam" ] && echo $d; done)
echo 0 > $usb/authorized; at deauthorised
sleep 3
echo 1 > $usb/authorized; at authorised
wait $probe
echo "RESULT unplug {\"probe\": $(cat /tmp/unplug.json), \"stats\": $(stats)}"
kill $server; wait $server; kill $holder 2>/dev/null
sed 's/^/  server: /' /tmp/server.log
CAM=$(camera)

# A /dev/v4l/by-id path, as udev makes them (there is no udev here: the link is made, removed
# and made again by hand, as udev does on plug and unplug).
byid=/dev/v4l/by-id/usb-pi-mjpeg_USB_Webcam_0001-video-index0
mkdir -p /dev/v4l/by-id; ln -sf $CAM $byid
pi-server --source v4l2:$byid --size 640x480 --fps 30 --listen 127.0.0.1:8000 2>/tmp/server.log &
server=$!
stream-probe --seconds 1 >/dev/null
stream-probe --seconds 10 --decode-every 5 > /tmp/byid.json &
probe=$!
sleep 3
sleep 5 < $CAM &
holder=$!
sleep 0.5
gadget.sh unplug cam; rm $byid
sleep 2
gadget.sh plug cam dummy_udc.0
NEW=$(camera); ln -sf $NEW $byid
wait $probe
echo "RESULT by-id {\"probe\": $(cat /tmp/byid.json), \"stats\": $(stats), \"old\": \"$CAM\", \"new\": \"$NEW\"}"
kill $server; wait $server; kill $holder 2>/dev/null
sed 's/^/  server: /' /tmp/server.log
CAM=$NEW

# The webcam beside vivid (its capture node only): two cameras on one machine. vivid gets
# the lower node number (uvcvideo reloaded after it), so that "first" would be vivid.
rmmod uvcvideo
insmod /lib/modules/vivid.ko n_devs=1 node_types=0x1
insmod /lib/modules/uvcvideo.ko
CAM=$(camera)
VIVID=$(for d in /sys/class/video4linux/video*; do [ "$(cat $d/name)" = vivid-000-vid-cap ] && echo /dev/${d##*/}; done)
echo "BEGIN two-cameras"
pi-server --list-devices
echo "END two-cameras"
echo "CAMERAS webcam=$CAM vivid=$VIVID"
pi-server --source v4l2:$CAM --size 640x480 --fps 30 --listen 127.0.0.1:8001 2>/tmp/webcam.log &
webcam=$!
pi-server --source v4l2:$VIVID --size 640x480 --fps 25 --listen 127.0.0.1:8002 2>/tmp/vivid.log &
vivid=$!
# Both streamed at once, each to its own client.
stream-probe --addr 127.0.0.1:8001 --seconds 4 --decode-every 5 > /tmp/webcam.json &
probe=$!
stream-probe --addr 127.0.0.1:8002 --seconds 4 --decode-every 5 > /tmp/vivid.json
wait $probe
echo "RESULT two-webcam {\"probe\": $(cat /tmp/webcam.json), \"stats\": $(stats 8001)}"
echo "RESULT two-vivid {\"probe\": $(cat /tmp/vivid.json), \"stats\": $(stats 8002)}"
# CPU per frame, one camera watched at a time (the other server stops its camera).
for run in "webcam $webcam 8001" "vivid $vivid 8002"; do
  set -- $run
  stream-probe --addr 127.0.0.1:$3 --seconds 1 >/dev/null
  before=$(cpu $2) first=$(stats $3) t0=$(up)
  probe=$(stream-probe --addr 127.0.0.1:$3 --seconds 5 --decode-every 5)
  after=$(cpu $2)
  echo "RESULT cpu-$1 {\"probe\": $probe, \"stats_before\": $first, \"stats\": $(stats $3), \"window_s\": $(echo "$(up) $t0" | awk '{ print $1 - $2 }'), \"cpu_ticks\": $((after - before)), \"hz\": 100}"
done
kill $webcam $vivid; wait $webcam $vivid
sed 's/^/  webcam server: /' /tmp/webcam.log
sed 's/^/  vivid server: /' /tmp/vivid.log
echo "VM-DONE"
poweroff -f
GUEST
chmod 755 "$root/init"

# The guest runs 95 to 125 s here (more when the host is busy): twice vm-lib's default.
VM_TIMEOUT=${VM_TIMEOUT:-480}
vm_boot "$root" "$work/console.log" -serial mon:stdio -serial "file:$work/ttyS1"
cp "$work/ttyS1" "$work/avi1.mjpg"

# --- judge --------------------------------------------------------------------------------
PYTHONDONTWRITEBYTECODE=1 python3 scripts/uvc-vm/judge.py "$work/console.log" "$work/avi1.mjpg"
