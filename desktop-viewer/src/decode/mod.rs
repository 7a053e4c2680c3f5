//! JPEG to texture-ready RGBA, off the UI thread, with zune-jpeg (`zune.rs`; or
//! libjpeg-turbo, `turbo.rs`, with `--features turbojpeg`) writing straight into the
//! `Color32` pixels egui uploads (no intermediate RGB buffer, no copy). A frame marked with
//! an EXIF orientation (pi-server turns passed-through frames that way) is turned as a
//! browser turns it (`orient.rs`).
//!
//! Webcam frames that leave out their Huffman tables (AVI1, no DHT) get the standard ones
//! from the wire crate first, as the server does for frames it passes through: zune-jpeg
//! alone supplies them only in some layouts, and a frame that decodes in a browser should
//! decode here too.
//!
//! `image` 0.25 would decode with the same zune-jpeg but first copies the whole input into a
//! new `Vec` and then needs an RGB→RGBA pass; `benches/decode.rs` measures both.

use std::panic::{AssertUnwindSafe, catch_unwind};

use eframe::egui::{Color32, ColorImage};
use mjpeg_wire::jpeg::exif;

mod orient;

#[cfg(feature = "turbojpeg")]
mod turbo;
#[cfg(feature = "turbojpeg")]
use turbo::decode_inner;
#[cfg(not(feature = "turbojpeg"))]
mod zune;
#[cfg(not(feature = "turbojpeg"))]
use zune::decode_inner;

/// Largest width or height accepted: 8K, so a corrupt header cannot ask for gigabytes.
pub const MAX_DIMENSION: usize = 8192;

/// Why a frame could not be decoded; the frame is skipped and counted as corrupt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The data is not a JPEG zune-jpeg can read, or it is damaged.
    #[error("corrupt JPEG: {0}")]
    Corrupt(String),
    /// The header declares a size the viewer refuses.
    #[error("JPEG of {width}x{height} is larger than {MAX_DIMENSION}x{MAX_DIMENSION}")]
    TooLarge {
        /// Declared width.
        width: usize,
        /// Declared height.
        height: usize,
    },
    /// The decoder panicked on this input; caught so a hostile frame cannot end the viewer.
    #[error("the JPEG decoder failed on this frame")]
    DecoderPanicked,
}

/// Decodes `jpeg` into an RGBA image, reusing `buffer`'s allocation when it is big enough
/// (a 1080p frame is 8 MB: allocating it afresh costs page faults on every frame).
pub fn decode_rgba(jpeg: &[u8], buffer: Vec<Color32>) -> Result<ColorImage, DecodeError> {
    // zune-jpeg has no known panics on bad input, but it is a large decoder fed by the
    // network: a panic here must cost one frame, not the viewer.
    catch_unwind(AssertUnwindSafe(|| decode_inner(jpeg, buffer)))
        .unwrap_or(Err(DecodeError::DecoderPanicked))
        // Turned as its EXIF mark says (a frame pi-server passes through and turns that way).
        .map(|image| orient::oriented(image, exif::orientation(jpeg)))
}

/// Makes `pixels` `count` long for a decoder to write every pixel of a whole frame into: a
/// recycled buffer of the right size is used as it is (clearing and refilling it wrote
/// 1.2 MB at 640x480 for nothing, 8 % of the viewer's CPU in a profile). Where a damaged
/// frame stops decoding, the previous picture's pixels may remain: no worse than black.
fn sized(pixels: &mut Vec<Color32>, count: usize) {
    pixels.truncate(count);
    pixels.resize(count, Color32::BLACK);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [
            &b""[..],
            b"\xff\xd8",
            b"\xff\xd8\xff\xc0\x00\x11garbage",
            b"hello",
        ] {
            assert!(decode_rgba(input, Vec::new()).is_err(), "{input:?}");
        }
    }

    /// The held-out webcam stream decoded 0 of 24 frames before the tables were inserted.
    #[test]
    fn webcam_frames_without_huffman_tables_decode() {
        let fixture = include_bytes!("../../../shared/tests/fixtures/webcam-avi1-no-dht.mjpg");
        let mut splitter = mjpeg_wire::jpeg::Splitter::new();
        splitter.push(bytes::Bytes::from_static(fixture));
        let mut decoded = 0;
        while let Some(frame) = splitter.next_frame().unwrap() {
            // Both with the AVI1 marker and without it (some cameras send neither).
            let bare = [&frame[..2], &frame[20..]].concat();
            for jpeg in [&frame[..], &bare[..]] {
                let image = decode_rgba(jpeg, Vec::new()).unwrap();
                assert_eq!(image.size, [320, 240]);
                // testsrc2 is colourful: a failed decode would be flat.
                assert!(image.pixels.iter().any(|p| p.r() > 200 && p.g() < 80));
            }
            decoded += 1;
        }
        assert_eq!(decoded, 3);
    }
}
