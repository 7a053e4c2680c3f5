//! JPEG encoding of RGB frames (the test pattern) and of raw camera frames (YUYV, NV12...).
//!
//! Two back ends, measured by `benches/encode.rs` (figures in docs/benchmarks.md):
//! - `jpeg-encoder` (default): pure Rust, so the server builds and cross-compiles for a Pi
//!   with no C toolchain; 1280x720 at 30 fps takes about a quarter of one core here.
//! - libjpeg-turbo (cargo feature `turbojpeg`; needs cmake and nasm to build): about 3.4x
//!   less CPU, and NEON-accelerated on a Pi, where raw camera formats will need it.
//!
//! `image`'s encoder was 4-5x slower than `jpeg-encoder` and is not offered.
//!
//! Raw camera frames never pass through RGB: `jpeg-encoder` reads them row by row as YCbCr
//! (`raw.rs`), and libjpeg-turbo takes them as YCbCr planes.

use bytes::Bytes;

use super::raw::RawFrame;

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
    /// Reused plane buffers for raw frames.
    #[cfg(feature = "turbojpeg")]
    planes: super::raw::Planes,
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

    /// Encodes a raw camera frame at `quality` (1-100).
    #[cfg(not(feature = "turbojpeg"))]
    pub fn encode_raw(&mut self, frame: RawFrame<'_>, quality: u8) -> Result<Bytes, EncodeError> {
        let mut out = Vec::with_capacity(self.last_len + self.last_len / 4 + 1024);
        jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100))
            .encode_image(frame)
            .map_err(|e| EncodeError::Encoder(e.to_string()))?;
        self.last_len = out.len();
        Ok(Bytes::from(out))
    }

    /// Encodes a raw camera frame at `quality` (1-100): 4:2:0 below 90, else 4:2:2 for
    /// 4:2:2 cameras, as the RGB path does.
    #[cfg(feature = "turbojpeg")]
    pub fn encode_raw(&mut self, frame: RawFrame<'_>, quality: u8) -> Result<Bytes, EncodeError> {
        use super::raw::RawFormat;
        let failed = |e: turbojpeg::Error| EncodeError::Encoder(e.to_string());
        let quality = quality.clamp(1, 100);
        let mut planes = std::mem::take(&mut self.planes);
        let out = if frame.to_planes(quality >= 90, &mut planes) {
            let turbo = self.turbo()?;
            turbo.set_quality(i32::from(quality)).map_err(failed)?;
            let (width, height, _) = frame.layout();
            let image = turbojpeg::YuvPlanesImage {
                y_plane: &planes.y[..],
                u_plane: &planes.u[..],
                v_plane: &planes.v[..],
                width: usize::from(width),
                height: usize::from(height),
                y_stride: usize::from(width),
                u_stride: planes.chroma_width,
                v_stride: planes.chroma_width,
                subsamp: if planes.chroma_full_height {
                    turbojpeg::Subsamp::Sub2x1
                } else {
                    turbojpeg::Subsamp::Sub2x2
                },
            };
            turbo.compress_yuv_planes_to_vec(&image).map_err(failed)
        } else {
            let (width, height, stride) = frame.layout();
            let format = match frame.format() {
                RawFormat::Rgb24 => turbojpeg::PixelFormat::RGB,
                RawFormat::Bgr24 => turbojpeg::PixelFormat::BGR,
                _ => turbojpeg::PixelFormat::GRAY,
            };
            let image = turbojpeg::Image {
                pixels: frame.data(),
                width: usize::from(width),
                pitch: stride,
                height: usize::from(height),
                format,
            };
            let turbo = self.turbo()?;
            turbo.set_quality(i32::from(quality)).map_err(failed)?;
            let subsamp = if format == turbojpeg::PixelFormat::GRAY {
                turbojpeg::Subsamp::Gray
            } else if quality < 90 {
                turbojpeg::Subsamp::Sub2x2
            } else {
                turbojpeg::Subsamp::None
            };
            turbo.set_subsamp(subsamp).map_err(failed)?;
            turbo.compress_to_vec(image).map_err(failed)
        };
        self.planes = planes;
        let out = out?;
        self.last_len = out.len();
        Ok(Bytes::from(out))
    }

    #[cfg(feature = "turbojpeg")]
    fn turbo(&mut self) -> Result<&mut turbojpeg::Compressor, EncodeError> {
        if self.turbo.is_none() {
            let compressor =
                turbojpeg::Compressor::new().map_err(|e| EncodeError::Encoder(e.to_string()))?;
            self.turbo = Some(compressor);
        }
        // Set just above when it was not.
        self.turbo
            .as_mut()
            .ok_or_else(|| EncodeError::Encoder("no libjpeg-turbo compressor".into()))
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
        let turbo = self.turbo()?;
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
    fn raw_yuyv_encodes_to_the_colours_it_holds() {
        use super::super::raw::RawFormat;
        // 32x16 YUYV: left half pure red in limited range (Y 81, Cb 90, Cr 240), right half
        // mid grey.
        let (w, h) = (32u16, 16u16);
        let mut yuyv = Vec::new();
        for _ in 0..h {
            for pair in 0..w / 2 {
                if pair < w / 4 {
                    yuyv.extend_from_slice(&[81, 90, 81, 240]);
                } else {
                    yuyv.extend_from_slice(&[126, 128, 126, 128]);
                }
            }
        }
        let frame = RawFrame::new(RawFormat::Yuyv, &yuyv, w, h, 0, true).unwrap();
        let jpeg = JpegEncoder::new().encode_raw(frame, 95).unwrap();
        let info = mjpeg_wire::jpeg::info(&jpeg).unwrap();
        assert_eq!((info.width, info.height), (w, h));
        let rgb =
            zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(&jpeg[..]))
                .decode()
                .unwrap();
        let px = |x: usize, y: usize| &rgb[(y * usize::from(w) + x) * 3..][..3];
        let (r, g, b) = (px(4, 8)[0], px(4, 8)[1], px(4, 8)[2]);
        assert!(r > 230 && g < 30 && b < 30, "red came out as {r},{g},{b}");
        let grey = px(28, 8);
        assert!(
            grey.iter().all(|v| v.abs_diff(128) < 8),
            "grey came out as {grey:?}"
        );
    }

    #[test]
    fn a_short_buffer_is_an_error_not_a_panic() {
        let err = JpegEncoder::new()
            .encode_rgb(&[0; 10], 4, 4, 80)
            .unwrap_err();
        assert!(matches!(err, EncodeError::BadBuffer { len: 10, .. }));
    }
}
