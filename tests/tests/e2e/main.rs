//! End-to-end behaviour of the real binaries, over loopback, as a user meets it.
//!
//! - `viewer_and_server`: desktop-viewer (headless) watching pi-server.
//! - `server_process`: pi-server as a process: signals, exit codes, messages.
//! - `viewer_errors`: what the viewer says when the URL is wrong.
//! - `players`: Chromium (driven over DevTools by `cdp.py`), ffmpeg, ffprobe, OpenCV and
//!   nginx, which people already have; our viewer against ffmpeg's MJPEG server and the
//!   original recipe, directly and through a pi-server relay.
//! - `relay`: `--source http://`, one upstream connection for many viewers.
//! - `controls`: `/api/controls`, the live settings: kinds, ranges, refusals, who may
//!   write, a size change on a connected client, `--save-controls` across a restart;
//!   `controls_page`: the index page's panel in Chromium.
//! - `viewer_controls`: the viewer's controls panel (egui_kittest, no display) changing the
//!   real server's settings.
//! - `rate_control`: `--target-kbps` held through scene changes; `?kbps=N` per client.
//!
//! The binaries are the ones `cargo test --workspace` builds next to this test.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod controls;
mod controls_page;
mod players;
mod rate_control;
mod relay;
mod server_process;
mod support;
mod viewer_and_server;
mod viewer_controls;
mod viewer_errors;
