//! The default decoder: zune-jpeg, pure Rust (nothing to install to build the viewer).

use eframe::egui::{Color32, ColorImage};
use mjpeg_wire::jpeg::with_standard_huffman_tables;
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use super::{DecodeError, MAX_DIMENSION, sized};

/// Decodes `jpeg` into `pixels` (recycled), RGBA.
pub(super) fn decode_inner(
    jpeg: &[u8],
    mut pixels: Vec<Color32>,
) -> Result<ColorImage, DecodeError> {
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
    sized(&mut pixels, count);
    decoder
        .decode_into(bytemuck::cast_slice_mut(&mut pixels))
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    Ok(ColorImage::new([width, height], pixels))
}
