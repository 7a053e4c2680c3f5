//! Huffman tables for JPEGs that leave them out.
//!
//! Many USB webcams send MJPEG frames with no DHT segment (usually marked by an `AVI1` APP0
//! segment): the AVI/MJPEG convention is that such frames use the example tables of the JPEG
//! standard (ITU T.81, Annex K.3). Decoders outside that convention (browsers, ffmpeg in some
//! modes, many small clients) refuse them. [`with_standard_huffman_tables`] inserts those
//! tables, as ustreamer and mjpg-streamer do before serving such frames, so that every client
//! can decode them; frames that carry tables come back untouched and uncopied.

use std::borrow::Cow;

use bytes::Bytes;

use super::markers::{EOI, SOI, SOS, is_standalone};

/// DHT: define Huffman tables.
const DHT: u8 = 0xC4;

// The tables of ITU T.81 Annex K.3 (as jpeg-encoder's `huffman.rs` spells them).
const LUMA_DC_CODE_LENGTHS: [u8; 16] = [
    0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

const LUMA_DC_VALUES: [u8; 12] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
];

const CHROMA_DC_CODE_LENGTHS: [u8; 16] = [
    0x00, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
];

const CHROMA_DC_VALUES: [u8; 12] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
];

const LUMA_AC_CODE_LENGTHS: [u8; 16] = [
    0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00, 0x00, 0x01, 0x7D,
];

const LUMA_AC_VALUES: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

const CHROMA_AC_CODE_LENGTHS: [u8; 16] = [
    0x00, 0x02, 0x01, 0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77,
];

const CHROMA_AC_VALUES: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
    0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
    0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
    0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
    0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
    0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

/// Length of the DHT segment holding all four tables, marker included.
pub const STANDARD_DHT_LEN: usize = 2 + 2 + 4 * (1 + 16) + 12 + 12 + 162 + 162;

/// One DHT segment with the four standard tables: DC 0 and 1, AC 0 and 1 (the ids every
/// table-less webcam frame refers to).
pub const STANDARD_DHT: [u8; STANDARD_DHT_LEN] = standard_dht();

const fn standard_dht() -> [u8; STANDARD_DHT_LEN] {
    let mut out = [0u8; STANDARD_DHT_LEN];
    out[0] = 0xFF;
    out[1] = DHT;
    let len = (STANDARD_DHT_LEN - 2) as u16;
    out[2] = (len >> 8) as u8;
    out[3] = len as u8;
    // (class << 4 | id, code lengths, values)
    let tables: [(u8, &[u8; 16], &[u8]); 4] = [
        (0x00, &LUMA_DC_CODE_LENGTHS, &LUMA_DC_VALUES),
        (0x01, &CHROMA_DC_CODE_LENGTHS, &CHROMA_DC_VALUES),
        (0x10, &LUMA_AC_CODE_LENGTHS, &LUMA_AC_VALUES),
        (0x11, &CHROMA_AC_CODE_LENGTHS, &CHROMA_AC_VALUES),
    ];
    let mut pos = 4;
    let mut t = 0;
    while t < tables.len() {
        let (class_id, lengths, values) = tables[t];
        out[pos] = class_id;
        pos += 1;
        let mut i = 0;
        while i < 16 {
            out[pos] = lengths[i];
            pos += 1;
            i += 1;
        }
        let mut i = 0;
        while i < values.len() {
            out[pos] = values[i];
            pos += 1;
            i += 1;
        }
        t += 1;
    }
    out
}

/// Where a JPEG stands on Huffman tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuffmanTables {
    /// A DHT segment comes before the first scan (or the image needs none: arithmetic
    /// coding, or a structure this reader does not follow, which is left to the decoder).
    Present,
    /// A baseline frame whose first scan starts at this byte offset with no DHT before it.
    Missing {
        /// Offset of the SOS marker, where the tables go.
        sos_at: usize,
    },
}

/// Walks the segments before the first scan and says whether Huffman tables are missing.
pub fn huffman_tables(jpeg: &[u8]) -> HuffmanTables {
    if jpeg.len() < 2 || jpeg[0] != 0xFF || jpeg[1] != SOI {
        return HuffmanTables::Present;
    }
    let mut huffman_frame = false;
    let mut pos = 2;
    loop {
        if jpeg.get(pos) != Some(&0xFF) {
            return HuffmanTables::Present;
        }
        while jpeg.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&code) = jpeg.get(pos + 1) else {
            return HuffmanTables::Present;
        };
        match code {
            DHT | EOI => return HuffmanTables::Present,
            SOS if huffman_frame => return HuffmanTables::Missing { sos_at: pos },
            SOS => return HuffmanTables::Present,
            // SOF0 (baseline) and SOF1 (extended sequential): the frames webcams send, for
            // which the standard tables are the convention.
            0xC0 | 0xC1 => huffman_frame = true,
            c if is_standalone(c) => {
                pos += 2;
                continue;
            }
            _ => {}
        }
        let Some(len) = jpeg.get(pos + 2..pos + 4) else {
            return HuffmanTables::Present;
        };
        pos += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
    }
}

/// `jpeg` with the standard Huffman tables inserted before its first scan if it has none;
/// otherwise `jpeg` itself, borrowed.
///
/// ```
/// use mjpeg_wire::jpeg::{with_standard_huffman_tables, STANDARD_DHT_LEN};
/// // SOI, SOF0 (8x8 grey), SOS, a byte of scan data, EOI: no DHT.
/// let bare = b"\xFF\xD8\xFF\xC0\x00\x0B\x08\x00\x08\x00\x08\x01\x01\x11\x00\
///              \xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00\x00\xFF\xD9";
/// let fixed = with_standard_huffman_tables(bare);
/// assert_eq!(fixed.len(), bare.len() + STANDARD_DHT_LEN);
/// // A frame with tables is not copied.
/// assert!(matches!(with_standard_huffman_tables(&fixed), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn with_standard_huffman_tables(jpeg: &[u8]) -> Cow<'_, [u8]> {
    match huffman_tables(jpeg) {
        HuffmanTables::Present => Cow::Borrowed(jpeg),
        HuffmanTables::Missing { sos_at } => {
            let mut out = Vec::with_capacity(jpeg.len() + STANDARD_DHT_LEN);
            out.extend_from_slice(&jpeg[..sos_at]);
            out.extend_from_slice(&STANDARD_DHT);
            out.extend_from_slice(&jpeg[sos_at..]);
            Cow::Owned(out)
        }
    }
}

/// [`with_standard_huffman_tables`] for a shared buffer: `jpeg` itself (not copied) when it
/// has its tables, else a new buffer with them.
pub fn with_standard_huffman_tables_bytes(jpeg: Bytes) -> Bytes {
    match huffman_tables(&jpeg) {
        HuffmanTables::Present => jpeg,
        HuffmanTables::Missing { .. } => {
            Bytes::from(with_standard_huffman_tables(&jpeg).into_owned())
        }
    }
}
