//! JPEG encoding of RGB frames, for the test pattern now and for raw camera formats later.
//!
//! Two back ends, measured by `benches/encode.rs` (figures in docs/benchmarks.md):
//! - `jpeg-encoder` (default): pure Rust, so the server builds and cross-compiles for a Pi
//!   with no C toolchain; 1280x720 at 30 fps takes about a quarter of one core here.
//! - libjpeg-turbo (cargo feature `turbojpeg`; needs cmake and nasm to build): about 3.4x
//!   less CPU, and NEON-accelerated on a Pi, where raw camera formats will need it.
//!
//! `image`'s encoder was 4-5x slower than `jpeg-encoder` and is not offered.

use bytes::Bytes;

/// Why a frame could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The pixel buffer does not match the size given.
    #[error("RGB buffer of {len} bytes does not hold {width}x{height} pixels")]
    BadBuffer {
        /// Bytes given.
        len: usize,
        /// Width given.
        width: u16,
        /// Height given.
        height: u16,
    },
    /// The encoder failed.
    #[error("JPEG encoding failed: {0}")]
    Encoder(String),
}

/// Encodes RGB frames; keeps the last frame's size to allocate the next one in one go.
#[derive(Default)]
pub struct JpegEncoder {
    last_len: usize,
    #[cfg(feature = "turbojpeg")]
    turbo: Option<turbojpeg::Compressor>,
}

impl std::fmt::Debug for JpegEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JpegEncoder")
            .field("backend", &Self::BACKEND)
            .field("last_len", &self.last_len)
            .finish()
    }
}

impl JpegEncoder {
    /// The library that encodes.
    pub const BACKEND: &'static str = if cfg!(feature = "turbojpeg") {
        "libjpeg-turbo"
    } else {
        "jpeg-encoder"
    };

    /// A new encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Encodes `rgb` (3 bytes per pixel, rows top to bottom) at `quality` (1-100, 4:2:0
    /// below 90 as cameras do).
    pub fn encode_rgb(
        &mut self,
        rgb: &[u8],
        width: u16,
        height: u16,
        quality: u8,
    ) -> Result<Bytes, EncodeError> {
        if rgb.len() != usize::from(width) * usize::from(height) * 3 {
            return Err(EncodeError::BadBuffer {
                len: rgb.len(),
                width,
                height,
            });
        }
        let quality = quality.clamp(1, 100);
        let out = self.encode_with_backend(rgb, width, height, quality)?;
        self.last_len = out.len();
        // Vec -> Bytes takes ownership without copying.
        Ok(Bytes::from(out))
    }

    #[cfg(not(feature = "turbojpeg"))]
    fn encode_with_backend(
        &mut self,
        rgb: &[u8],
        width: u16,
        height: u16,
        quality: u8,
    ) -> Result<Vec<u8>, EncodeError> {
        // A little more than last time, so the buffer rarely grows while encoding.
        let mut out = Vec::with_capacity(self.last_len + self.last_len / 4 + 1024);
        jpeg_encoder::Encoder::new(&mut out, quality)
            .encode(rgb, width, height, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| EncodeError::Encoder(e.to_string()))?;
        Ok(out)
    }

    #[cfg(feature = "turbojpeg")]
    fn encode_with_backend(
        &mut self,
        rgb: &[u8],
        width: u16,
        height: u16,
        quality: u8,
    ) -> Result<Vec<u8>, EncodeError> {
        let failed = |e: turbojpeg::Error| EncodeError::Encoder(e.to_string());
        let turbo = match &mut self.turbo {
            Some(t) => t,
            None => self
                .turbo
                .insert(turbojpeg::Compressor::new().map_err(failed)?),
        };
        turbo.set_quality(i32::from(quality)).map_err(failed)?;
        // 4:2:0 below 90, as jpeg-encoder and cameras do.
        let subsamp = if quality < 90 {
            turbojpeg::Subsamp::Sub2x2
        } else {
            turbojpeg::Subsamp::None
        };
        turbo.set_subsamp(subsamp).map_err(failed)?;
        let image = turbojpeg::Image {
            pixels: rgb,
            width: usize::from(width),
            pitch: usize::from(width) * 3,
            height: usize::from(height),
            format: turbojpeg::PixelFormat::RGB,
        };
        turbo.compress_to_vec(image).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_jpeg_of_the_given_size() {
        let (w, h) = (48u16, 32u16);
        let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
            .map(|i| (i % 251) as u8)
            .collect();
        let jpeg = JpegEncoder::new().encode_rgb(&rgb, w, h, 75).unwrap();
        let info = mjpeg_wire::jpeg::info(&jpeg).unwrap();
        assert_eq!((info.width, info.height), (w, h));
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
    }

    #[test]
    fn a_short_buffer_is_an_error_not_a_panic() {
        let err = JpegEncoder::new()
            .encode_rgb(&[0; 10], 4, 4, 80)
            .unwrap_err();
        assert!(matches!(err, EncodeError::BadBuffer { len: 10, .. }));
    }
}
