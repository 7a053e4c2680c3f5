//! JPEG to texture-ready RGBA, off the UI thread, with zune-jpeg writing straight into the
//! `Color32` pixels egui uploads (no intermediate RGB buffer, no copy).
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
use mjpeg_wire::jpeg::with_standard_huffman_tables;
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

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
}

fn decode_inner(jpeg: &[u8], mut pixels: Vec<Color32>) -> Result<ColorImage, DecodeError> {
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::RGBA)
        .set_max_width(MAX_DIMENSION)
        .set_max_height(MAX_DIMENSION)
        // Cameras send slightly broken JPEGs (padding, missing EOI); show what decodes.
        .set_strict_mode(false);
    // Borrowed (no copy) unless the frame lacks its tables.
    let jpeg = with_standard_huffman_tables(jpeg);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(&jpeg[..]), options);
    decoder
        .decode_headers()
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| DecodeError::Corrupt("no dimensions after the headers".into()))?;
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(DecodeError::TooLarge { width, height });
    }
    let count = width * height;
    // RGBA output is four bytes a pixel; anything else means the colour conversion we asked
    // for did not happen (a CMYK JPEG, say) and the bytes would not be `Color32`s.
    if decoder.output_buffer_size() != Some(count * 4) {
        return Err(DecodeError::Corrupt(format!(
            "unsupported colour format {:?}",
            decoder.input_colorspace()
        )));
    }
    pixels.clear();
    pixels.resize(count, Color32::BLACK);
    decoder
        .decode_into(bytemuck::cast_slice_mut(&mut pixels))
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    Ok(ColorImage::new([width, height], pixels))
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
        let fixture = include_bytes!("../../shared/tests/fixtures/webcam-avi1-no-dht.mjpg");
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
