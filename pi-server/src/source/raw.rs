//! Raw camera pixels (YUYV, NV12, RGB...) as rows of Y, Cb and Cr for the JPEG encoder.
//!
//! A raw frame is never converted to RGB first: JPEG stores YCbCr, and 4:2:2 or 4:2:0
//! camera formats already are YCbCr, so each row is handed to the encoder as is (after
//! stretching limited-range video levels to JPEG's full range). RGB formats are converted
//! with the encoder's own coefficients. The frame borrows the capture buffer; nothing is
//! copied before the encoder reads it.

use jpeg_encoder::{ImageBuffer, JpegColorType, rgb_to_ycbcr};

/// A raw pixel layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RawFormat {
    /// Packed 4:2:2, Y0 Cb Y1 Cr (`YUYV`): what nearly every USB webcam offers raw.
    Yuyv,
    /// Packed 4:2:2, Cb Y0 Cr Y1 (`UYVY`).
    Uyvy,
    /// Planar Y then interleaved CbCr at 4:2:0 (`NV12`): the Pi's ISP and many SoCs.
    Nv12,
    /// Three planes Y, Cb, Cr at 4:2:0 (`YU12`, also called I420).
    Yu12,
    /// 24-bit RGB (`RGB3`).
    Rgb24,
    /// 24-bit BGR (`BGR3`).
    Bgr24,
    /// 8-bit grey (`GREY`).
    Grey,
}

impl RawFormat {
    /// Bytes per pixel of the first plane (for the default stride).
    fn first_plane_bytes_per_pixel(self) -> usize {
        match self {
            RawFormat::Yuyv | RawFormat::Uyvy => 2,
            RawFormat::Nv12 | RawFormat::Yu12 | RawFormat::Grey => 1,
            RawFormat::Rgb24 | RawFormat::Bgr24 => 3,
        }
    }

    /// Whether the samples are YCbCr (and so may be in limited "video" range).
    pub fn is_yuv(self) -> bool {
        !matches!(self, RawFormat::Rgb24 | RawFormat::Bgr24)
    }
}

/// Why a buffer cannot be read as the frame it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format:?} frame of {width}x{height} (stride {stride}) needs {needed} bytes, got {got}")]
pub struct RawFrameError {
    format: RawFormat,
    width: u16,
    height: u16,
    stride: usize,
    needed: usize,
    got: usize,
}

/// One raw frame, borrowed from the capture buffer.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    format: RawFormat,
    data: &'a [u8],
    width: u16,
    height: u16,
    /// Bytes from one row of the first plane to the next.
    stride: usize,
    /// Samples in 16..=235 (Y) and 16..=240 (Cb, Cr), as V4L2 YUV formats usually are.
    limited_range: bool,
}

impl<'a> RawFrame<'a> {
    /// Checks that `data` holds a whole `format` frame of `width` x `height` with rows
    /// `stride` bytes apart (0: tightly packed), so that reading it can never go out of
    /// bounds (a driver may hand over a short buffer).
    pub fn new(
        format: RawFormat,
        data: &'a [u8],
        width: u16,
        height: u16,
        stride: usize,
        limited_range: bool,
    ) -> Result<Self, RawFrameError> {
        let (w, h) = (usize::from(width), usize::from(height));
        // Odd sizes: 4:2:x chroma covers the pixel pairs rounded up.
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let min_stride = match format {
            RawFormat::Yuyv | RawFormat::Uyvy => cw * 4,
            _ => w * format.first_plane_bytes_per_pixel(),
        };
        let stride = if stride == 0 { min_stride } else { stride };
        let needed = match format {
            RawFormat::Nv12 => stride * h + stride * ch,
            RawFormat::Yu12 => stride * h + 2 * (stride / 2) * ch,
            _ => stride * h,
        };
        let chroma_fits = match format {
            RawFormat::Nv12 => stride >= cw * 2,
            RawFormat::Yu12 => stride / 2 >= cw,
            _ => true,
        };
        if stride < min_stride || !chroma_fits || data.len() < needed || w == 0 || h == 0 {
            return Err(RawFrameError {
                format,
                width,
                height,
                stride,
                needed,
                got: data.len(),
            });
        }
        Ok(RawFrame {
            format,
            data,
            width,
            height,
            stride,
            limited_range: limited_range && format.is_yuv(),
        })
    }

    /// The bytes of the frame.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// Stretches limited-range video levels to JPEG's full range.
struct Levels {
    luma: [u8; 256],
    chroma: [u8; 256],
}

impl Levels {
    const fn new() -> Self {
        let mut luma = [0u8; 256];
        let mut chroma = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            // Y: 16..235 -> 0..255; C: 16..240 around 128 -> 0..255, rounded and clamped.
            let y = ((i as i32 - 16) * 255 * 2 + 219) / (219 * 2);
            luma[i] = if y < 0 {
                0
            } else if y > 255 {
                255
            } else {
                y as u8
            };
            let c =
                128 + ((i as i32 - 128) * 255 * 2 + if i >= 128 { 224 } else { -224 }) / (224 * 2);
            chroma[i] = if c < 0 {
                0
            } else if c > 255 {
                255
            } else {
                c as u8
            };
            i += 1;
        }
        Levels { luma, chroma }
    }
}

static LEVELS: Levels = Levels::new();

/// Values as they are, for full-range frames.
static IDENTITY: [u8; 256] = identity();

const fn identity() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i as u8;
        i += 1;
    }
    t
}

impl RawFrame<'_> {
    /// The luma and chroma level maps for this frame's range.
    fn levels(&self) -> (&'static [u8; 256], &'static [u8; 256]) {
        if self.limited_range {
            (&LEVELS.luma, &LEVELS.chroma)
        } else {
            (&IDENTITY, &IDENTITY)
        }
    }
}

/// Planar YCbCr for libjpeg-turbo (`--features turbojpeg`), full range.
#[cfg(feature = "turbojpeg")]
#[derive(Debug, Default)]
pub struct Planes {
    /// Y, one byte a pixel, `width` bytes a row.
    pub y: Vec<u8>,
    /// Cb, `chroma_width` bytes a row.
    pub u: Vec<u8>,
    /// Cr, as Cb.
    pub v: Vec<u8>,
    /// Width of a chroma row.
    pub chroma_width: usize,
    /// Whether chroma has one row per pixel row (4:2:2) or one per two (4:2:0).
    pub chroma_full_height: bool,
}

#[cfg(feature = "turbojpeg")]
impl RawFrame<'_> {
    /// The frame's format.
    pub fn format(&self) -> RawFormat {
        self.format
    }

    /// The frame's width, height and stride.
    pub fn layout(&self) -> (u16, u16, usize) {
        (self.width, self.height, self.stride)
    }

    /// Splits a YCbCr frame into planes (stretching limited range), 4:2:0 unless
    /// `keep_422` and the frame is 4:2:2. `false` for RGB and grey frames, which
    /// libjpeg-turbo takes as they are.
    pub fn to_planes(&self, keep_422: bool, planes: &mut Planes) -> bool {
        let (w, h) = (usize::from(self.width), usize::from(self.height));
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let (luma, chroma) = self.levels();
        let map = |table: &[u8; 256], src: &[u8], dst: &mut Vec<u8>| {
            dst.extend(src.iter().map(|&b| table[usize::from(b)]));
        };
        planes.y.clear();
        planes.u.clear();
        planes.v.clear();
        planes.chroma_width = cw;
        let luma_plane = self.stride * h;
        match self.format {
            RawFormat::Yuyv | RawFormat::Uyvy => {
                let mut bufs: [Vec<u8>; 4] = Default::default();
                planes.chroma_full_height = keep_422;
                for row in 0..self.height {
                    for b in &mut bufs {
                        b.clear();
                    }
                    self.fill_buffers(row, &mut bufs);
                    planes.y.extend_from_slice(&bufs[0]);
                    let row = usize::from(row);
                    // fill_buffers doubled each chroma sample; take every other one.
                    for (plane, full) in [(&mut planes.u, &bufs[1]), (&mut planes.v, &bufs[2])] {
                        let samples = full.iter().step_by(2).copied();
                        if keep_422 || row % 2 == 0 {
                            plane.extend(samples);
                        } else {
                            // 4:2:0: average with the row above, which is already there.
                            let start = plane.len() - cw;
                            for (dst, s) in plane[start..].iter_mut().zip(samples) {
                                *dst = (u16::from(*dst) + u16::from(s)).div_ceil(2) as u8;
                            }
                        }
                    }
                }
            }
            RawFormat::Nv12 => {
                planes.chroma_full_height = false;
                for row in 0..h {
                    map(luma, &self.data[row * self.stride..][..w], &mut planes.y);
                }
                for row in 0..ch {
                    let line = &self.data[luma_plane + row * self.stride..][..cw * 2];
                    planes
                        .u
                        .extend(line.iter().step_by(2).map(|&b| chroma[usize::from(b)]));
                    planes
                        .v
                        .extend(line[1..].iter().step_by(2).map(|&b| chroma[usize::from(b)]));
                }
            }
            RawFormat::Yu12 => {
                planes.chroma_full_height = false;
                let cstride = self.stride / 2;
                for row in 0..h {
                    map(luma, &self.data[row * self.stride..][..w], &mut planes.y);
                }
                let v_plane = luma_plane + cstride * ch;
                for row in 0..ch {
                    map(
                        chroma,
                        &self.data[luma_plane + row * cstride..][..cw],
                        &mut planes.u,
                    );
                    map(
                        chroma,
                        &self.data[v_plane + row * cstride..][..cw],
                        &mut planes.v,
                    );
                }
            }
            RawFormat::Rgb24 | RawFormat::Bgr24 | RawFormat::Grey => return false,
        }
        true
    }
}

impl ImageBuffer for RawFrame<'_> {
    fn get_jpeg_color_type(&self) -> JpegColorType {
        if self.format == RawFormat::Grey {
            JpegColorType::Luma
        } else {
            JpegColorType::Ycbcr
        }
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, y: u16, buffers: &mut [Vec<u8>; 4]) {
        let (w, row) = (usize::from(self.width), usize::from(y));
        let line = &self.data[row * self.stride..];
        let [yb, cb, cr, _] = buffers;
        match self.format {
            RawFormat::Yuyv | RawFormat::Uyvy => {
                // Offsets of Y0, Cb, Y1, Cr within each 4-byte pixel pair.
                let (y0, u, y1, v) = if self.format == RawFormat::Yuyv {
                    (0, 1, 2, 3)
                } else {
                    (1, 0, 3, 2)
                };
                // The hot loop of the raw path: resize once and write by index (pushing
                // byte by byte was 40 % slower), with the range stretch fused in.
                let (luma, chroma) = self.levels();
                let pairs = line[..w.div_ceil(2) * 4].chunks_exact(4);
                let start = yb.len();
                for b in [&mut *yb, &mut *cb, &mut *cr] {
                    b.resize(start + w.div_ceil(2) * 2, 0);
                }
                let outs = yb[start..]
                    .chunks_exact_mut(2)
                    .zip(cb[start..].chunks_exact_mut(2))
                    .zip(cr[start..].chunks_exact_mut(2));
                for (((oy, ou), ov), p) in outs.zip(pairs) {
                    oy[0] = luma[usize::from(p[y0])];
                    oy[1] = luma[usize::from(p[y1])];
                    let (cu, cv) = (chroma[usize::from(p[u])], chroma[usize::from(p[v])]);
                    ou[0] = cu;
                    ou[1] = cu;
                    ov[0] = cv;
                    ov[1] = cv;
                }
                // An odd width wrote one pixel too many.
                for b in [yb, cb, cr] {
                    b.truncate(start + w);
                }
                return;
            }
            RawFormat::Nv12 | RawFormat::Yu12 => {
                yb.extend_from_slice(&line[..w]);
                let h = usize::from(self.height);
                let luma_plane = self.stride * h;
                let crow = row / 2;
                if self.format == RawFormat::Nv12 {
                    let start = luma_plane + crow * self.stride;
                    for x in 0..w {
                        cb.push(self.data[start + (x / 2) * 2]);
                        cr.push(self.data[start + (x / 2) * 2 + 1]);
                    }
                } else {
                    let cstride = self.stride / 2;
                    let u_start = luma_plane + crow * cstride;
                    let v_start = luma_plane + cstride * h.div_ceil(2) + crow * cstride;
                    for x in 0..w {
                        cb.push(self.data[u_start + x / 2]);
                        cr.push(self.data[v_start + x / 2]);
                    }
                }
            }
            RawFormat::Grey => yb.extend_from_slice(&line[..w]),
            RawFormat::Rgb24 | RawFormat::Bgr24 => {
                let rgb = self.format == RawFormat::Rgb24;
                for px in line[..w * 3].chunks_exact(3) {
                    let (r, b) = if rgb { (px[0], px[2]) } else { (px[2], px[0]) };
                    let (yy, u, v) = rgb_to_ycbcr(r, px[1], b);
                    yb.push(yy);
                    cb.push(u);
                    cr.push(v);
                }
            }
        }
        if self.limited_range {
            let start = yb.len() - w;
            for v in &mut yb[start..] {
                *v = LEVELS.luma[usize::from(*v)];
            }
            if self.format != RawFormat::Grey {
                for v in cb[start..].iter_mut().chain(cr[start..].iter_mut()) {
                    *v = LEVELS.chroma[usize::from(*v)];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(frame: &RawFrame<'_>) -> Vec<[Vec<u8>; 4]> {
        (0..frame.height())
            .map(|y| {
                let mut b: [Vec<u8>; 4] = Default::default();
                frame.fill_buffers(y, &mut b);
                b
            })
            .collect()
    }

    #[test]
    fn yuyv_and_uyvy_give_the_same_samples() {
        // 2x1: Y0=10 Y1=20, Cb=100, Cr=200.
        let yuyv = RawFrame::new(RawFormat::Yuyv, &[10, 100, 20, 200], 2, 1, 0, false).unwrap();
        let uyvy = RawFrame::new(RawFormat::Uyvy, &[100, 10, 200, 20], 2, 1, 0, false).unwrap();
        for frame in [yuyv, uyvy] {
            let r = rows(&frame);
            assert_eq!(r[0][0], [10, 20]);
            assert_eq!(r[0][1], [100, 100]);
            assert_eq!(r[0][2], [200, 200]);
        }
    }

    #[test]
    fn odd_widths_take_the_last_pixel_from_its_pair() {
        // 3x1 YUYV: two pairs, the second half-used.
        let data = [1, 100, 2, 200, 3, 101, 9, 201];
        let frame = RawFrame::new(RawFormat::Yuyv, &data, 3, 1, 0, false).unwrap();
        let r = rows(&frame);
        assert_eq!(r[0][0], [1, 2, 3]);
        assert_eq!(r[0][1], [100, 100, 101]);
        assert_eq!(r[0][2], [200, 200, 201]);
    }

    #[test]
    fn nv12_and_yu12_share_chroma_between_row_pairs() {
        // 2x2, Y = 1 2 / 3 4, one chroma sample Cb=50 Cr=60.
        let nv12 = RawFrame::new(RawFormat::Nv12, &[1, 2, 3, 4, 50, 60], 2, 2, 0, false).unwrap();
        // YU12 with stride 2: the chroma planes have stride 1.
        let yu12 = RawFrame::new(RawFormat::Yu12, &[1, 2, 3, 4, 50, 60], 2, 2, 0, false).unwrap();
        for frame in [nv12, yu12] {
            let r = rows(&frame);
            assert_eq!(
                (r[0][0].as_slice(), r[1][0].as_slice()),
                (&[1, 2][..], &[3, 4][..])
            );
            assert_eq!(r[1][1], [50, 50]);
            assert_eq!(r[1][2], [60, 60]);
        }
    }

    #[test]
    fn padded_rows_are_skipped_by_the_stride() {
        // 2x2 YUYV with 4 bytes of padding per row.
        let data = [1, 128, 2, 128, 0, 0, 0, 0, 3, 128, 4, 128, 0, 0, 0, 0];
        let frame = RawFrame::new(RawFormat::Yuyv, &data, 2, 2, 8, false).unwrap();
        let r = rows(&frame);
        assert_eq!(
            (r[0][0].as_slice(), r[1][0].as_slice()),
            (&[1, 2][..], &[3, 4][..])
        );
    }

    #[test]
    fn rgb_and_bgr_convert_like_the_encoder() {
        let red = RawFrame::new(RawFormat::Rgb24, &[255, 0, 0], 1, 1, 0, true).unwrap();
        let also_red = RawFrame::new(RawFormat::Bgr24, &[0, 0, 255], 1, 1, 0, true).unwrap();
        let want = rgb_to_ycbcr(255, 0, 0);
        for frame in [red, also_red] {
            let r = rows(&frame);
            // RGB is never "limited range": no stretching.
            assert_eq!((r[0][0][0], r[0][1][0], r[0][2][0]), want);
        }
    }

    #[test]
    fn limited_range_is_stretched_to_full() {
        let data = [16, 16, 235, 240, 128, 128, 126, 128];
        let frame = RawFrame::new(RawFormat::Yuyv, &data, 4, 1, 0, true).unwrap();
        let r = rows(&frame);
        // Y 16 is black, 235 white; mid-grey moves away from the middle a little.
        assert_eq!(r[0][0], [0, 255, 130, 128]);
        assert_eq!(
            r[0][1],
            [0, 0, 128, 128],
            "Cb 16 is the bottom; 128 stays grey"
        );
        assert_eq!(r[0][2], [255, 255, 128, 128], "Cr 240 is the top");
    }

    #[cfg(feature = "turbojpeg")]
    #[test]
    fn planes_for_libjpeg_turbo_halve_chroma_rows_for_420() {
        // 2x2 YUYV, chroma (10, 20) on row 0 and (30, 41) on row 1.
        let data = [1, 10, 2, 20, 3, 30, 4, 41];
        let frame = RawFrame::new(RawFormat::Yuyv, &data, 2, 2, 0, false).unwrap();
        let mut planes = Planes::default();
        assert!(frame.to_planes(true, &mut planes));
        assert_eq!(
            (
                planes.y.as_slice(),
                planes.u.as_slice(),
                planes.v.as_slice()
            ),
            (&[1, 2, 3, 4][..], &[10, 30][..], &[20, 41][..])
        );
        assert!(frame.to_planes(false, &mut planes));
        assert_eq!(
            (planes.u.as_slice(), planes.v.as_slice()),
            (&[20][..], &[31][..])
        );
        assert!(!planes.chroma_full_height);
        let nv12 = RawFrame::new(RawFormat::Nv12, &[1, 2, 3, 4, 50, 60], 2, 2, 0, false).unwrap();
        assert!(nv12.to_planes(true, &mut planes));
        assert_eq!(
            (planes.u.as_slice(), planes.v.as_slice()),
            (&[50][..], &[60][..])
        );
        let rgb = RawFrame::new(RawFormat::Rgb24, &[0; 12], 2, 2, 0, false).unwrap();
        assert!(!rgb.to_planes(false, &mut planes));
    }

    #[test]
    fn short_buffers_and_bad_strides_are_refused() {
        assert!(RawFrame::new(RawFormat::Yuyv, &[0; 7], 2, 2, 0, false).is_err());
        assert!(RawFrame::new(RawFormat::Nv12, &[0; 5], 2, 2, 0, false).is_err());
        assert!(RawFrame::new(RawFormat::Rgb24, &[0; 12], 2, 2, 5, false).is_err());
        assert!(RawFrame::new(RawFormat::Grey, &[], 0, 0, 0, false).is_err());
        let err = RawFrame::new(RawFormat::Yuyv, &[0; 7], 2, 2, 0, false).unwrap_err();
        assert!(err.to_string().contains("needs 8 bytes, got 7"), "{err}");
    }
}
