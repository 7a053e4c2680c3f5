//! The decode thread: the newest received part, decoded to RGBA by [`crate::decode`], into
//! the frames slot the screen takes from; pixels nobody displayed are reused.

use std::time::{Instant, SystemTime};

use eframe::egui::Color32;
use tracing::debug;

use super::{Frame, Shared};
use crate::decode::decode_rgba;

/// Decodes the newest part, over and over, until stopped.
pub(super) fn decode_loop(shared: &Shared) {
    // The pixels of a frame nobody displayed, reused for the next decode.
    let mut spare: Vec<Color32> = Vec::new();
    while let Some(part) = shared.parts.wait_take(|| shared.stopped()) {
        let started = Instant::now();
        match decode_rgba(&part.jpeg, std::mem::take(&mut spare)) {
            Ok(image) => {
                let decode_time = started.elapsed();
                let age = part
                    .captured
                    .and_then(|c| SystemTime::now().duration_since(c).ok());
                shared.stats().on_decoded(decode_time, image.size, age);
                let frame = Frame {
                    image,
                    jpeg: part.jpeg,
                    seq: part.seq,
                    received: part.received,
                    captured: part.captured,
                    decode_time,
                };
                if let Some(unshown) = shared.frames.put(frame) {
                    spare = unshown.image.pixels;
                }
                (shared.wake)();
            }
            Err(e) => {
                debug!(seq = part.seq, cause = %e, "skipped a frame that does not decode");
                shared.stats().on_corrupt();
                (shared.wake)();
            }
        }
    }
}
