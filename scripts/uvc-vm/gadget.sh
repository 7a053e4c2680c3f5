#!/bin/sh
# gadget.sh: the USB webcam of scripts/uvc-vm-test.sh's guest, as a configfs UVC gadget
# (layout: the kernel's Documentation/ABI/testing/configfs-usb-gadget-uvc, 6.1).
#
# usage: gadget.sh up NAME UDC PRODUCT SERIAL   create gadget NAME and plug it into UDC
#        gadget.sh unplug NAME | plug NAME UDC  unbind it from its UDC (the host sees a USB
#                                               unplug) or bind it again
# It offers MJPEG only, 640x480 and 1280x720, each at 30 and 15 fps (30 the default), like
# most webcams' MJPEG modes. f_uvc's fixed units give it two controls: brightness
# (processing unit) and auto-exposure mode (camera terminal).
set -e
G=/sys/kernel/config/usb_gadget/$2
F=$G/functions/uvc.0

frame() { # NAME WIDTH HEIGHT
  d=$F/streaming/mjpeg/m/$1
  mkdir -p "$d"
  echo "$2" > "$d/wWidth"
  echo "$3" > "$d/wHeight"
  # The feeder sizes its buffers from this: room for a JPEG of 2 bytes a pixel.
  echo $(($2 * $3 * 2)) > "$d/dwMaxVideoFrameBufferSize"
  echo $(($2 * $3 * 16 * 15)) > "$d/dwMinBitRate"
  echo $(($2 * $3 * 16 * 30)) > "$d/dwMaxBitRate"
  echo 333333 > "$d/dwDefaultFrameInterval"
  printf '333333\n666666\n' > "$d/dwFrameInterval" # 30 and 15 fps, in 100 ns units
}

case $1 in
up)
  mkdir -p "$G/strings/0x409" "$G/configs/c.1/strings/0x409"
  echo 0x1d6b > "$G/idVendor"  # Linux Foundation
  echo 0x0104 > "$G/idProduct" # Multifunction Composite Gadget
  # Miscellaneous class with an interface association, as webcams describe themselves.
  echo 0xef > "$G/bDeviceClass"
  echo 0x02 > "$G/bDeviceSubClass"
  echo 0x01 > "$G/bDeviceProtocol"
  echo pi-mjpeg > "$G/strings/0x409/manufacturer"
  echo "$4" > "$G/strings/0x409/product"
  echo "$5" > "$G/strings/0x409/serialnumber"
  echo 500 > "$G/configs/c.1/MaxPower"
  mkdir -p "$F"
  # Isochronous, 3 x 1024 bytes a microframe: a high-bandwidth high-speed webcam.
  echo 3072 > "$F/streaming_maxpacket"
  echo 1 > "$F/streaming_interval"
  mkdir -p "$F/control/header/h"
  ln -s "$F/control/header/h" "$F/control/class/fs/h"
  ln -s "$F/control/header/h" "$F/control/class/ss/h"
  frame 480p 640 480
  frame 720p 1280 720
  mkdir -p "$F/streaming/header/h"
  ln -s "$F/streaming/mjpeg/m" "$F/streaming/header/h/m"
  for speed in fs hs ss; do ln -s "$F/streaming/header/h" "$F/streaming/class/$speed/h"; done
  ln -s "$F" "$G/configs/c.1/uvc.0"
  echo "$3" > "$G/UDC"
  ;;
plug) echo "$3" > "$G/UDC" ;;
# Unbinding waits until the feeder has closed the gadget's node.
unplug) echo "" > "$G/UDC" ;;
*)
  echo "usage: gadget.sh up NAME UDC PRODUCT SERIAL | unplug NAME | plug NAME UDC" >&2
  exit 2
  ;;
esac
