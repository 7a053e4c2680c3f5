#!/usr/bin/env bash
# gen-v4l2-bindings.sh: pre-generate the V4L2 bindings in vendor/v4l2-sys-mit for every
# target we ship, so that building pi-server needs no libclang and no target headers.
#
# crates.io's v4l2-sys-mit 0.3.0 (under the `v4l` crate) runs bindgen on
# `#include <linux/videodev2.h>` in its build script. Our copy of it (wired in with
# [patch.crates-io] in Cargo.toml) includes a file written here instead, one per target
# whose layout or libc differ, by the same bindgen version with the same (default) options.
# videodev2.h includes the libc's <sys/time.h> (struct v4l2_buffer holds a struct timeval),
# so the files differ in pointer width and time_t: 32-bit ARM with glibc has a 32-bit
# time_t, with musl (1.2 and later) a 64-bit one, which moves every field of v4l2_buffer
# after the timestamp.
#
# usage: scripts/gen-v4l2-bindings.sh [--check | --layout-tests]
#   (no option)     rewrite vendor/v4l2-sys-mit/src/bindings/*.rs
#   --check         regenerate into a scratch folder and fail if any committed file differs
#   --layout-tests  run bindgen's layout tests of the ARM files on ARM, under qemu-user
#                   (`cargo test` runs the x86_64 file's); see layout_tests below
# needs (Debian/Ubuntu): libclang-dev, and the target headers:
#   apt-get install linux-libc-dev-amd64-cross libc6-dev-amd64-cross \
#     linux-libc-dev-arm64-cross libc6-dev-arm64-cross \
#     linux-libc-dev-armhf-cross libc6-dev-armhf-cross
#   dpkg --add-architecture armhf && dpkg --add-architecture arm64 && apt-get update
#   apt-get install musl-dev musl-dev:armhf musl-dev:arm64
# Every target, the host's included, is generated from these cross packages, so the
# result depends on the packages' versions and not on the machine that runs this.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check=
layout_tests=
case "${1:-}" in
  --check) check=1 ;;
  --layout-tests) layout_tests=1 ;;
  "") ;;
  *) echo "usage: $0 [--check | --layout-tests]" >&2; exit 2 ;;
esac

crate=vendor/v4l2-sys-mit
committed="$crate/src/bindings"

# One line per target: its name (the Rust target it serves, without vendor), clang's
# target, the libc headers, the Linux UAPI headers, the packages that hold them, and the
# file it uses. Rust's arm-unknown-linux-gnueabihf and armv7-unknown-linux-gnueabihf share
# one layout (ARMv6 and ARMv7 differ in instructions, not in C types); so do the
# musleabihf pair. On 64-bit Linux, musl and glibc agree on every V4L2 layout, so the musl
# targets use the glibc file: they are generated too, and every size, alignment and offset
# of a v4l2_* type in them is checked against that file.
targets=(
  "x86_64-linux-gnu     x86_64-linux-gnu     /usr/x86_64-linux-gnu/include     /usr/x86_64-linux-gnu/include    libc6-dev-amd64-cross,linux-libc-dev-amd64-cross  x86_64-linux-gnu"
  "aarch64-linux-gnu    aarch64-linux-gnu    /usr/aarch64-linux-gnu/include    /usr/aarch64-linux-gnu/include   libc6-dev-arm64-cross,linux-libc-dev-arm64-cross  aarch64-linux-gnu"
  "arm-linux-gnueabihf  arm-linux-gnueabihf  /usr/arm-linux-gnueabihf/include  /usr/arm-linux-gnueabihf/include libc6-dev-armhf-cross,linux-libc-dev-armhf-cross  arm-linux-gnueabihf"
  "arm-linux-musleabihf arm-linux-musleabihf /usr/include/arm-linux-musleabihf /usr/arm-linux-gnueabihf/include musl-dev:armhf,linux-libc-dev-armhf-cross         arm-linux-musleabihf"
  "x86_64-linux-musl    x86_64-linux-musl    /usr/include/x86_64-linux-musl    /usr/x86_64-linux-gnu/include    musl-dev,linux-libc-dev-amd64-cross               x86_64-linux-gnu"
  "aarch64-linux-musl   aarch64-linux-musl   /usr/include/aarch64-linux-musl   /usr/aarch64-linux-gnu/include   musl-dev:arm64,linux-libc-dev-arm64-cross         aarch64-linux-gnu"
)

# The layout bindgen asserts for every v4l2_* type (sizes, alignments, offsets, in the
# order of its tests), one line per figure, so two targets' files can be compared.
v4l2_layouts() {
  awk '/^fn bindgen_test_layout_v4l2_/ {name = $2; n = 0}
       /^fn bindgen_test_layout_/ && !/_v4l2_/ {name = ""}
       name && /^ *[0-9]+usize,?$/ {gsub(/[ ,]/, ""); n++; print name, n, $0}' "$1" | sort
}

temp_dir scratch

# Compiles the committed ARM files' layout tests for ARM and runs them under qemu-user:
# Rust then lays every struct out as the real target does, and compares it with what clang
# computed for that target. Needs a rustc (RUSTC, default rustc) with the standard
# libraries of aarch64-unknown-linux-gnu and armv7-unknown-linux-gnueabihf (`rustup target
# add`, or Debian's rustc with libstd-rust-dev:arm64 and libstd-rust-dev:armhf), the
# linkers (gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf) and qemu-user (or -static).
# No musl standard library is at hand here, so the musl file's tests run on the glibc
# target: Rust lays C types out the same for both (one ARM EABI, one data layout).
if [ -n "$layout_tests" ]; then
  runs=(
    "aarch64-linux-gnu    aarch64-unknown-linux-gnu     aarch64-linux-gnu-gcc   aarch64 /usr/aarch64-linux-gnu"
    "arm-linux-gnueabihf  armv7-unknown-linux-gnueabihf arm-linux-gnueabihf-gcc arm     /usr/arm-linux-gnueabihf"
    "arm-linux-musleabihf armv7-unknown-linux-gnueabihf arm-linux-gnueabihf-gcc arm     /usr/arm-linux-gnueabihf"
  )
  for run in "${runs[@]}"; do
    read -r file target linker arch libs <<<"$run"
    qemu=$(command -v "qemu-$arch" || command -v "qemu-$arch-static") ||
      { echo "qemu-$arch is missing; install qemu-user" >&2; exit 1; }
    {
      echo '#![allow(deref_nullptr, non_camel_case_types, non_snake_case, non_upper_case_globals)]'
      echo "include!(\"$PWD/$committed/$file.rs\");"
    } > "$scratch/$file.rs"
    "${RUSTC:-rustc}" --edition 2018 --test --target "$target" -C "linker=$linker" \
      -o "$scratch/$file" "$scratch/$file.rs"
    echo "$file.rs on $target, under $(basename "$qemu"):"
    # Quiet: a dot per test, then a failed test's message and the result line.
    "$qemu" -L "$libs" "$scratch/$file" --quiet
  done
  exit 0
fi

# Our generator (a small crate with its own lock file) loads libclang when it runs.
gen_target_dir="$TARGET_DIR/gen-v4l2-bindings"
cargo build --quiet --release --locked --manifest-path "$crate/generate/Cargo.toml" \
  --target-dir "$gen_target_dir"
generator="$gen_target_dir/release/gen-v4l2-bindings"

out="$committed"
[ -n "$check" ] && out="$scratch/out" && mkdir -p "$out"

for line in "${targets[@]}"; do
  read -r name clang_target libc_dir uapi_dir packages file <<<"$line"
  for dir in "$libc_dir/sys" "$uapi_dir/linux" "$uapi_dir/asm"; do
    [ -d "$dir" ] || { echo "$name: $dir is missing; install ${packages//,/ }" >&2; exit 1; }
  done
  # Only the kernel's folders from the UAPI directory: when the libc is musl, glibc's
  # headers beside them must not be found.
  uapi="$scratch/uapi-$name"
  mkdir -p "$uapi"
  for sub in linux asm asm-generic; do ln -s "$uapi_dir/$sub" "$uapi/$sub"; done
  kernel=$(awk '/LINUX_VERSION_(MAJOR|PATCHLEVEL|SUBLEVEL)/ {v = v (v ? "." : "") $3} END {print v}' \
    "$uapi_dir/linux/version.h")
  {
    echo "// Generated by scripts/gen-v4l2-bindings.sh for $name; do not edit."
    echo "// Headers: Linux $kernel UAPI and the libc, from ${packages//,/ and }."
  } > "$scratch/$name.rs"
  # -nostdlibinc: none of the host's /usr/include, but clang's own stddef.h and friends.
  "$generator" "$crate/generate/wrapper.h" "$scratch/$name.body.rs" \
    "--target=$clang_target" -nostdlibinc -isystem "$libc_dir" -isystem "$uapi"
  cat "$scratch/$name.body.rs" >> "$scratch/$name.rs"
  if [ "$file" != "$name" ]; then
    # A target that shares another's file: the layouts must agree.
    if ! diff <(v4l2_layouts "$scratch/$name.rs") <(v4l2_layouts "$committed/$file.rs") \
        > "$scratch/$name.layout-diff"; then
      head -n 40 "$scratch/$name.layout-diff" >&2
      echo "$name: V4L2 layouts differ from $file.rs; give it its own file (and a cfg in $crate/src/lib.rs)" >&2
      exit 1
    fi
    echo "$name: same V4L2 layouts as $file.rs"
  elif [ -n "$check" ]; then
    cp "$scratch/$name.rs" "$out/$name.rs"
  else
    mv "$scratch/$name.rs" "$out/$name.rs"
    echo "wrote $out/$name.rs"
  fi
done

if [ -n "$check" ]; then
  if ! diff -ru "$committed" "$out" > "$scratch/diff"; then
    head -n 100 "$scratch/diff" >&2
    echo "the committed V4L2 bindings differ from what the headers give: run $0 and commit" >&2
    exit 1
  fi
  echo "the committed V4L2 bindings match the headers"
fi
