#!/usr/bin/env python3
"""frames.py OUT: the JPEGs the test webcam sends (scripts/uvc-vm-test.sh).

OUT/dht/WxH/NNN.jpg: thirty different pictures per size (ffmpeg's testsrc2, each frame
distinct, so a received frame names its file), coded with the standard Huffman tables of
JPEG's Annex K and carrying them (DHT), as ffmpeg writes them.
OUT/avi1/WxH/NNN.jpg: the same frames as many webcams send them: an `AVI1` APP0 in place of
JFIF and no DHT at all (the decoder is expected to know the standard tables). Inserting the
standard tables again gives a JPEG that decodes to the same pixels.
"""
import os
import subprocess
import sys

SIZES = ["640x480", "1280x720"]
# A second of distinct pictures at 30 fps: a client that skips a few frames is still seen
# to go forward, never back.
FRAMES = 30
AVI1_APP0 = b"\xff\xe0\x00\x10AVI1" + bytes(10)


def segments(jpeg):
    """(marker, whole segment bytes) up to and including SOS; then the rest as one."""
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    pos, out = 2, []
    while True:
        marker = jpeg[pos + 1]
        length = int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # SOS: the entropy-coded data follows
            out.append((marker, jpeg[pos:]))
            return out
        out.append((marker, jpeg[pos : pos + 2 + length]))
        pos += 2 + length


def as_avi1(jpeg):
    kept = [seg for marker, seg in segments(jpeg) if marker not in (0xC4, 0xE0)]
    return b"\xff\xd8" + AVI1_APP0 + b"".join(kept)


def main(out):
    for size in SIZES:
        dht = os.path.join(out, "dht", size)
        avi1 = os.path.join(out, "avi1", size)
        os.makedirs(dht, exist_ok=True)
        os.makedirs(avi1, exist_ok=True)
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"testsrc2=size={size}:rate=30", "-frames:v", str(FRAMES),
             "-q:v", "5", "-huffman", "default", os.path.join(dht, "%03d.jpg")],
            check=True)
        for name in sorted(os.listdir(dht)):
            with open(os.path.join(dht, name), "rb") as f:
                data = f.read()
            with open(os.path.join(avi1, name), "wb") as f:
                f.write(as_avi1(data))


if __name__ == "__main__":
    main(sys.argv[1])
