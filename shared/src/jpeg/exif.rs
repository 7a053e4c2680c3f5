//! The EXIF Orientation mark, in one place for both sides: the server puts it on frames it
//! passes through instead of turning them (36 bytes, no re-encoding; browsers turn the
//! picture themselves), and a viewer that decodes JPEGs itself reads it and turns the
//! picture as browsers do.
//!
//! The values are EXIF's: 1 as stored, 2 mirrored left-right, 3 turned 180°, 4 mirrored
//! top-bottom, 5 transposed, 6 turned 90° clockwise, 7 transversed, 8 turned 90°
//! counter-clockwise.

use bytes::{BufMut as _, Bytes, BytesMut};

use super::markers::{EOI, SOI, SOS, is_standalone};

const APP1: u8 = 0xE1;
const EXIF_HEADER: &[u8] = b"Exif\0\0";
const ORIENTATION_TAG: u16 = 0x0112;

/// `jpeg` with an APP1 EXIF segment saying Orientation `value` right after its SOI;
/// unchanged when `value` is 1 (as stored) or not an orientation, or the data does not start
/// with SOI.
pub fn with_orientation(jpeg: Bytes, value: u8) -> Bytes {
    if !(2..=8).contains(&value) || !jpeg.starts_with(&[0xFF, SOI]) {
        return jpeg;
    }
    // "Exif\0\0", a big-endian TIFF header whose first IFD (at offset 8) holds one entry,
    // Orientation (0x0112), a SHORT, then no next IFD.
    let mut segment: [u8; 36] = [
        0xFF, APP1, 0x00, 0x22, b'E', b'x', b'i', b'f', 0, 0, b'M', b'M', 0x00, 0x2A, 0x00, 0x00,
        0x00, 0x08, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    segment[29] = value;
    let mut out = BytesMut::with_capacity(jpeg.len() + segment.len());
    out.put_slice(&jpeg[..2]);
    out.put_slice(&segment);
    out.put_slice(&jpeg[2..]);
    out.freeze()
}

/// The EXIF Orientation (1-8) of `jpeg`, from the first APP1 EXIF segment before the scan;
/// `None` when it has none, or a damaged one (then the picture is shown as stored).
pub fn orientation(jpeg: &[u8]) -> Option<u8> {
    if !jpeg.starts_with(&[0xFF, SOI]) {
        return None;
    }
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        if jpeg[i] != 0xFF {
            return None;
        }
        let marker = jpeg[i + 1];
        if marker == 0xFF {
            // Fill byte before a marker.
            i += 1;
            continue;
        }
        if marker == SOS || marker == EOI {
            return None;
        }
        if is_standalone(marker) {
            i += 2;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let payload = jpeg.get(i + 4..(i + 2 + length).max(i + 4))?;
        if marker == APP1
            && let Some(tiff) = payload.strip_prefix(EXIF_HEADER)
        {
            return tiff_orientation(tiff);
        }
        i += 2 + length;
    }
    None
}

/// The Orientation entry of a TIFF header's first IFD, in either byte order.
fn tiff_orientation(tiff: &[u8]) -> Option<u8> {
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = [*tiff.get(at)?, *tiff.get(at + 1)?];
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = [
            *tiff.get(at)?,
            *tiff.get(at + 1)?,
            *tiff.get(at + 2)?,
            *tiff.get(at + 3)?,
        ];
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries)
        .map(|n| ifd + 2 + n * 12)
        .find(|&entry| u16_at(entry) == Some(ORIENTATION_TAG))
        // A SHORT: the value is in the first two bytes of the entry's value field.
        .and_then(|entry| u16_at(entry + 8))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x03, 0x00, 0xFF, 0xDA, 0x00, 0x02,
    ];

    #[test]
    fn what_is_written_is_read_back() {
        for value in 2..=8 {
            let marked = with_orientation(Bytes::from_static(JPEG), value);
            assert_eq!(marked.len(), JPEG.len() + 36);
            assert_eq!(orientation(&marked), Some(value));
        }
        let unmarked = with_orientation(Bytes::from_static(JPEG), 1);
        assert_eq!(&unmarked[..], JPEG, "1 is as stored: nothing to add");
        assert_eq!(orientation(JPEG), None);
    }

    #[test]
    fn a_little_endian_camera_segment_is_read_too() {
        // What a phone or camera writes: Intel order, Orientation among other entries.
        let mut tiff = b"II\x2A\x00\x08\x00\x00\x00\x02\x00".to_vec();
        tiff.extend_from_slice(&[0x0F, 0x01, 0x02, 0x00, 0x04, 0, 0, 0, b'A', b'c', b'm', 0]);
        tiff.extend_from_slice(&[0x12, 0x01, 0x03, 0x00, 0x01, 0, 0, 0, 0x06, 0x00, 0, 0]);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        let length = (2 + EXIF_HEADER.len() + tiff.len()) as u16;
        jpeg.extend_from_slice(&length.to_be_bytes());
        jpeg.extend_from_slice(EXIF_HEADER);
        jpeg.extend_from_slice(&tiff);
        jpeg.extend_from_slice(&JPEG[2..]);
        assert_eq!(orientation(&jpeg), Some(6));
    }

    #[test]
    fn damaged_segments_are_no_orientation_and_no_panic() {
        let marked = with_orientation(Bytes::from_static(JPEG), 6);
        for cut in 0..marked.len() {
            let _ = orientation(&marked[..cut]);
        }
        let mut wrong = marked.to_vec();
        wrong[2 + 29] = 9; // the value, in the segment after SOI
        assert_eq!(orientation(&wrong), None, "9 is no orientation");
    }
}
