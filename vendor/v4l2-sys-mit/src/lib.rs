//! Raw V4L2 bindings (`linux/videodev2.h`): the API of crates.io's v4l2-sys-mit 0.3.0,
//! pre-generated for each target we ship by `scripts/gen-v4l2-bindings.sh`, so that building
//! needs no libclang.
//!
//! Each file is what the crate's build script would generate (the same bindgen version and
//! options) from the target's own headers. The files differ where the C types do: pointer
//! width, and `time_t` inside `struct v4l2_buffer`'s timestamp (32 bits with 32-bit glibc,
//! 64 with musl 1.2 and later). bindgen's layout tests come with each file and run under
//! `cargo test` on the target they describe.

// What the crates.io crate allows, for generated code (but `unaligned_references`, a lint
// rustc no longer has: allowing it is itself a warning now).
#![allow(clippy::all)]
#![allow(deref_nullptr)]
#![allow(non_camel_case_types)]
#![allow(non_snake_case)]
#![allow(non_upper_case_globals)]

#[cfg(all(
    target_os = "linux",
    target_arch = "x86_64",
    target_pointer_width = "64",
    any(target_env = "gnu", target_env = "musl")
))]
include!("bindings/x86_64-linux-gnu.rs");

#[cfg(all(
    target_os = "linux",
    target_arch = "aarch64",
    target_pointer_width = "64",
    any(target_env = "gnu", target_env = "musl")
))]
include!("bindings/aarch64-linux-gnu.rs");

#[cfg(all(
    target_os = "linux",
    target_arch = "arm",
    target_pointer_width = "32",
    target_env = "gnu"
))]
include!("bindings/arm-linux-gnueabihf.rs");

#[cfg(all(
    target_os = "linux",
    target_arch = "arm",
    target_pointer_width = "32",
    target_env = "musl"
))]
include!("bindings/arm-linux-musleabihf.rs");

#[cfg(not(all(
    target_os = "linux",
    any(
        all(
            any(target_arch = "x86_64", target_arch = "aarch64"),
            target_pointer_width = "64",
            any(target_env = "gnu", target_env = "musl")
        ),
        all(
            target_arch = "arm",
            target_pointer_width = "32",
            any(target_env = "gnu", target_env = "musl")
        )
    )
)))]
compile_error!(
    "v4l2-sys-mit (vendor/v4l2-sys-mit): no pre-generated V4L2 bindings for this target. \
     Supported: x86_64 and aarch64 Linux with glibc or musl, 32-bit ARM Linux with glibc or \
     musl. Add the target to scripts/gen-v4l2-bindings.sh, run it, and add its file here."
);
