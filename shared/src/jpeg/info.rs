//! A JPEG's dimensions and chroma sampling, read from its frame header without decoding.

use super::markers::{EOI, SOI, SOS, is_standalone};

/// Why [`info`] could not read a frame header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InfoError {
    /// The data does not start with SOI (`FFD8`).
    #[error("not a JPEG (does not start with FFD8)")]
    NotJpeg,
    /// The data ended, or the structure broke, before a frame header (SOFn).
    #[error("no JPEG frame header (SOF) found before byte {0}")]
    NoFrameHeader(usize),
}

/// Chroma subsampling, as people name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// One component.
    Grayscale,
    /// Full-resolution chroma.
    Yuv444,
    /// Chroma halved horizontally (what most USB webcams send).
    Yuv422,
    /// Chroma halved both ways (what most encoders produce).
    Yuv420,
    /// Anything else (CMYK, unusual factors).
    Other,
}

impl std::fmt::Display for Sampling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Sampling::Grayscale => "gray",
            Sampling::Yuv444 => "4:4:4",
            Sampling::Yuv422 => "4:2:2",
            Sampling::Yuv420 => "4:2:0",
            Sampling::Other => "other",
        })
    }
}

/// What the frame header (SOFn) of a JPEG says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegInfo {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels (0 would mean "defined later by DNL", which nobody uses).
    pub height: u16,
    /// Number of colour components.
    pub components: u8,
    /// Chroma subsampling.
    pub sampling: Sampling,
    /// Whether the image is progressive (SOF2).
    pub progressive: bool,
}

/// Reads width, height and sampling from a JPEG's frame header.
///
/// ```
/// // SOI, SOF0 for 640x480 with three components sampled 2x2,1x1,1x1.
/// let jpeg = b"\xFF\xD8\xFF\xC0\x00\x11\x08\x01\xE0\x02\x80\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01";
/// let info = mjpeg_wire::jpeg::info(jpeg).unwrap();
/// assert_eq!((info.width, info.height), (640, 480));
/// assert_eq!(info.sampling.to_string(), "4:2:0");
/// ```
pub fn info(jpeg: &[u8]) -> Result<JpegInfo, InfoError> {
    if jpeg.len() < 2 || jpeg[0] != 0xFF || jpeg[1] != SOI {
        return Err(InfoError::NotJpeg);
    }
    let mut pos = 2;
    loop {
        let missing = InfoError::NoFrameHeader(pos);
        // Skip fill bytes, then read the marker code.
        if jpeg.get(pos) != Some(&0xFF) {
            return Err(missing);
        }
        while jpeg.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let code = *jpeg.get(pos + 1).ok_or(missing.clone())?;
        pos += 2;
        if is_standalone(code) {
            continue;
        }
        if code == EOI || code == SOS {
            return Err(missing);
        }
        let len_bytes = jpeg.get(pos..pos + 2).ok_or(missing.clone())?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        let segment = jpeg.get(pos + 2..pos + len).ok_or(missing.clone())?;
        // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
        if (0xC0..=0xCF).contains(&code) && ![0xC4, 0xC8, 0xCC].contains(&code) {
            return frame_header(code, segment).ok_or(missing);
        }
        pos += len;
    }
}

fn frame_header(code: u8, seg: &[u8]) -> Option<JpegInfo> {
    let height = u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]);
    let width = u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]);
    let components = *seg.get(5)?;
    let factors: Vec<(u8, u8)> = (0..usize::from(components))
        .map(|i| seg.get(6 + 3 * i + 1).map(|hv| (hv >> 4, hv & 0x0F)))
        .collect::<Option<_>>()?;
    let sampling = match factors.as_slice() {
        [_] => Sampling::Grayscale,
        [y, cb, cr] if cb == cr && *cb == (1, 1) => match y {
            (1, 1) => Sampling::Yuv444,
            (2, 1) => Sampling::Yuv422,
            (2, 2) => Sampling::Yuv420,
            _ => Sampling::Other,
        },
        _ => Sampling::Other,
    };
    Some(JpegInfo {
        width,
        height,
        components,
        sampling,
        progressive: code == 0xC2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sof(code: u8, w: u16, h: u16, factors: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, code];
        v.extend_from_slice(&((8 + 3 * factors.len()) as u16).to_be_bytes());
        v.push(8);
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&w.to_be_bytes());
        v.push(factors.len() as u8);
        for (i, f) in factors.iter().enumerate() {
            v.extend_from_slice(&[i as u8 + 1, *f, 0]);
        }
        v
    }

    #[test]
    fn reads_the_frame_header_after_other_segments() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        jpeg.extend(sof(0xC0, 1920, 1080, &[0x21, 0x11, 0x11]));
        let info = info(&jpeg).unwrap();
        assert_eq!((info.width, info.height, info.components), (1920, 1080, 3));
        assert_eq!(info.sampling, Sampling::Yuv422);
        assert!(!info.progressive);
    }

    #[test]
    fn progressive_and_grayscale() {
        let jpeg = [vec![0xFF, 0xD8], sof(0xC2, 8, 8, &[0x11])].concat();
        let info = info(&jpeg).unwrap();
        assert!(info.progressive);
        assert_eq!(info.sampling, Sampling::Grayscale);
    }

    #[test]
    fn not_a_jpeg_or_cut_short() {
        assert_eq!(info(b"GIF89a"), Err(InfoError::NotJpeg));
        assert_eq!(info(b""), Err(InfoError::NotJpeg));
        assert_eq!(
            info(b"\xFF\xD8\xFF\xE0\x00\x10ab"),
            Err(InfoError::NoFrameHeader(2))
        );
        assert_eq!(
            info(b"\xFF\xD8\xFF\xDA\x00\x02"),
            Err(InfoError::NoFrameHeader(2))
        );
        let cut = [vec![0xFF, 0xD8], sof(0xC0, 8, 8, &[0x22, 0x11, 0x11])].concat();
        assert!(info(&cut[..cut.len() - 2]).is_err());
    }
}
