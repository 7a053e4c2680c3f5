//! The MJPEG-over-HTTP wire format, in one place for the server and the viewer.
//!
//! - [`multipart`]: `multipart/x-mixed-replace` as real servers send it: an incremental
//!   [`multipart::Parser`] (push chunks, pull parts), a [`multipart::PartStream`] adapter for
//!   an HTTP body stream, and the [`multipart::Writer`] the server uses, so that both sides
//!   agree on the format by construction.
//! - [`jpeg`]: a [`jpeg::Splitter`] that cuts a raw concatenated-JPEG byte stream (what
//!   `rpicam-vid --codec mjpeg -o -` writes) into frames, and [`jpeg::info`] for a frame's
//!   size without decoding it.
//! - [`meter`]: frames-per-second and kbit/s over a sliding window, plus totals.
//! - [`discovery`]: how a camera announces itself on the LAN (DNS-SD records; with the
//!   `mdns` feature, the multicast responder and browser).
//! - `controls` (feature `json`): the live controls' JSON, `/api/controls`.
//! - [`duration`]: the one duration syntax of both binaries' flags (`10s`, `250ms`, `2`).
//! - [`strip`]: the test pattern's machine-readable frame number, painted by the server and
//!   read by tests from pixels.
//!
//! Frames are `bytes::Bytes`: a frame that arrived inside one network chunk is handed on as
//! a slice of it, never copied.

mod chunks;
#[cfg(feature = "json")]
pub mod controls;
pub mod discovery;
pub mod duration;
pub mod jpeg;
pub mod meter;
pub mod multipart;
pub mod strip;
