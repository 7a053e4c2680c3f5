//! Webcam frames without Huffman tables (AVI1, no DHT) get the standard ones, and decode to
//! exactly what a decoder that knows the AVI1 convention makes of them.

use std::borrow::Cow;

use bytes::Bytes;
use mjpeg_wire::jpeg::{
    HuffmanTables, STANDARD_DHT, Splitter, huffman_tables, info, with_standard_huffman_tables,
};
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;

/// Three 320x240 4:2:2 frames laid out as UVC webcams send them (`make-webcam-avi1.sh`).
const WEBCAM: &[u8] = include_bytes!("../fixtures/webcam-avi1-no-dht.mjpg");

fn webcam_frames() -> Vec<Bytes> {
    let mut splitter = Splitter::new();
    splitter.push(Bytes::from_static(WEBCAM));
    let mut frames = Vec::new();
    while let Some(frame) = splitter.next_frame().unwrap() {
        frames.push(frame);
    }
    assert_eq!(frames.len(), 3);
    frames
}

fn decode(jpeg: &[u8]) -> Result<Vec<u8>, String> {
    JpegDecoder::new(ZCursor::new(jpeg))
        .decode()
        .map_err(|e| e.to_string())
}

/// The frame without its AVI1 APP0 segment, so a decoder cannot fall back on its own tables.
fn without_avi1(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[2..10], b"\xFF\xE0\x00\x10AVI1");
    [&jpeg[..2], &jpeg[2 + 2 + 16..]].concat()
}

#[test]
fn webcam_frames_have_no_tables_until_the_standard_ones_are_inserted() {
    for frame in webcam_frames() {
        let HuffmanTables::Missing { sos_at } = huffman_tables(&frame) else {
            panic!("the fixture's frames carry no DHT");
        };
        assert_eq!(&frame[sos_at..sos_at + 2], b"\xFF\xDA");
        let fixed = with_standard_huffman_tables(&frame);
        assert_eq!(huffman_tables(&fixed), HuffmanTables::Present);
        assert_eq!(&fixed[sos_at..sos_at + STANDARD_DHT.len()], STANDARD_DHT);
        assert_eq!(fixed.len(), frame.len() + STANDARD_DHT.len());
        let size = info(&fixed).unwrap();
        assert_eq!((size.width, size.height), (320, 240));
    }
}

#[test]
fn inserted_tables_decode_like_the_avi1_convention() {
    for frame in webcam_frames() {
        // Without AVI1 and without tables, a decoder has nothing to go on.
        let bare = without_avi1(&frame);
        assert!(
            decode(&bare).is_err(),
            "a frame without tables must not decode"
        );
        // zune-jpeg supplies the standard tables itself when it sees AVI1: that is the
        // reference our inserted tables must reproduce pixel for pixel.
        let reference = decode(&frame).unwrap();
        let fixed = with_standard_huffman_tables(&bare);
        assert_eq!(decode(&fixed).unwrap(), reference);
        assert_eq!(reference.len(), 320 * 240 * 3);
    }
}

#[test]
fn frames_with_tables_or_odd_structure_are_left_alone() {
    for (_, _, body) in crate::fixtures::CAPTURES {
        let start = body.windows(2).position(|w| w == b"\xFF\xD8").unwrap();
        let jpeg = &body[start..];
        assert_eq!(huffman_tables(jpeg), HuffmanTables::Present);
        assert!(matches!(
            with_standard_huffman_tables(jpeg),
            Cow::Borrowed(_)
        ));
    }
    for odd in [
        &b""[..],
        b"GIF89a",
        b"\xFF\xD8",
        b"\xFF\xD8\xFF\xC0\x00",
        b"\xFF\xD8\xFF\xC0\xFF\xFF",
        // SOS with no frame header: not a frame the standard tables are meant for.
        b"\xFF\xD8\xFF\xDA\x00\x02\xFF\xD9",
        // Arithmetic coding (SOF9) needs no Huffman tables.
        b"\xFF\xD8\xFF\xC9\x00\x0B\x08\x00\x08\x00\x08\x01\x01\x11\x00\xFF\xDA\x00\x02",
    ] {
        assert_eq!(huffman_tables(odd), HuffmanTables::Present, "{odd:?}");
        assert!(matches!(
            with_standard_huffman_tables(odd),
            Cow::Borrowed(_)
        ));
    }
}
