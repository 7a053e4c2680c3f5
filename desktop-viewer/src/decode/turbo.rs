//! `--features turbojpeg`: libjpeg-turbo (built from source, so cmake and nasm are needed),
//! straight into the texture's RGBA pixels. Its SIMD Huffman decoding and colour conversion
//! take about half the CPU of zune-jpeg per frame (`scripts/grid-bench.sh`).

use std::cell::RefCell;

use eframe::egui::{Color32, ColorImage};
use mjpeg_wire::jpeg::with_standard_huffman_tables;
use turbojpeg::{Decompressor, Image, PixelFormat};

use super::{DecodeError, MAX_DIMENSION, sized};

thread_local! {
    /// One decompressor per decode thread: creating one allocates libjpeg's state.
    static DECOMPRESSOR: RefCell<Option<Decompressor>> = const { RefCell::new(None) };
}

/// Decodes `jpeg` into `pixels` (recycled), RGBA.
pub(super) fn decode_inner(jpeg: &[u8], pixels: Vec<Color32>) -> Result<ColorImage, DecodeError> {
    DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let decompressor = match &mut *cell {
            Some(d) => d,
            slot => {
                let mut d = Decompressor::new().map_err(corrupt)?;
                d.set_fast_upsample(true).map_err(corrupt)?;
                slot.insert(d)
            }
        };
        decode_with(decompressor, jpeg, pixels)
    })
}

fn decode_with(
    decompressor: &mut Decompressor,
    jpeg: &[u8],
    mut pixels: Vec<Color32>,
) -> Result<ColorImage, DecodeError> {
    // libjpeg-turbo has the standard tables too, but the server and the zune path insert
    // them the same way; borrowed (no copy) unless the frame lacks them.
    let jpeg = with_standard_huffman_tables(jpeg);
    let header = decompressor.read_header(&jpeg).map_err(corrupt)?;
    let (width, height) = (header.width, header.height);
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(DecodeError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(DecodeError::Corrupt(format!("a {width}x{height} picture")));
    }
    sized(&mut pixels, width * height);
    // The buffer is width * height * 4 bytes, the pitch a row of it: what `decompress`
    // checks (it panics otherwise; `decode_rgba` would catch that as a failed frame).
    let image = Image {
        pixels: bytemuck::cast_slice_mut(&mut pixels[..]),
        width,
        pitch: width * 4,
        height,
        format: PixelFormat::RGBA,
    };
    decompressor.decompress(&jpeg, image).map_err(corrupt)?;
    Ok(ColorImage::new([width, height], pixels))
}

fn corrupt(e: turbojpeg::Error) -> DecodeError {
    DecodeError::Corrupt(e.to_string())
}
