//! The viewer's integration tests, one binary (ripgrep's layout): each module states one
//! part of issue #4's "How it is checked".
//!
//! - `replay`: a real HTTP server on 127.0.0.1:0 that replays the captures in
//!   `shared/tests/fixtures/` and misbehaves on request (stalls, resets, web pages, 401).
//! - `pipeline`: network + decode with no window, against the replay server.
//! - `headless`: the `--headless` mode and the binary's exit status.
//! - `record`: recordings play back through the shared parser and splitter.
//! - `ui`: the window's logic under egui_kittest, fed state directly (no network).
//! - `ui_typed`: the window with the real pipeline: typed addresses play or say what was
//!   tried.
//! - `ui_grid`: several cameras in one window: the grid, focus and back, the layout key,
//!   the remembered set, and a tile whose server dies beside three that keep streaming.

// Test code: a failed unwrap is a failed test, with its location. clippy's
// allow-unwrap-in-tests covers #[test] functions but not their helpers.
#![allow(clippy::unwrap_used)]

mod headless;
mod pipeline;
mod record;
mod replay;
mod ui;
mod ui_grid;
mod ui_typed;
