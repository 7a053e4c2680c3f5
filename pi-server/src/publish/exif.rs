//! Rotation and flips of JPEGs we pass through, without re-encoding: an EXIF APP1 segment
//! with an Orientation tag, inserted right after SOI (36 bytes a frame).
//!
//! Browsers honour it in an `<img>`, also for each part of a multipart stream (Chromium
//! 156 turned a 320x240 frame marked 6 into a 240x320 picture on the index page; see
//! pi-server/README.md for Firefox); a viewer that decodes JPEGs itself must read it.

use bytes::Bytes;

use crate::source::orient::{Orientation, Rotation};

/// The EXIF Orientation value (1-8) that shows a frame as `o` turns it: flips first, then
/// the rotation clockwise. A vertical flip is a horizontal one turned by 180°, so every
/// combination is one of the eight.
pub fn tag(o: Orientation) -> u8 {
    let turn = (o.rotation.degrees() + if o.vflip { 180 } else { 0 }) % 360;
    let mirror = o.hflip != o.vflip;
    match (Rotation::from_degrees(turn).unwrap_or_default(), mirror) {
        (Rotation::Upright, false) => 1,
        (Rotation::Upright, true) => 2,
        (Rotation::UpsideDown, false) => 3,
        (Rotation::UpsideDown, true) => 4,
        // Transpose: mirrored, then turned 270° clockwise.
        (Rotation::Left, true) => 5,
        (Rotation::Right, false) => 6,
        // Transverse: mirrored, then turned 90° clockwise.
        (Rotation::Right, true) => 7,
        (Rotation::Left, false) => 8,
    }
}

/// `jpeg` with an APP1 EXIF segment saying Orientation `tag` right after its SOI; unchanged
/// when the tag is 1 (as captured) or the data does not start with SOI. The segment is the
/// wire crate's, which the viewer reads.
pub fn mark(jpeg: Bytes, tag: u8) -> Bytes {
    mjpeg_wire::jpeg::exif::with_orientation(jpeg, tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(degrees: i64, hflip: bool, vflip: bool) -> Orientation {
        Orientation {
            rotation: Rotation::from_degrees(degrees).unwrap(),
            hflip,
            vflip,
        }
    }

    #[test]
    fn every_orientation_is_one_of_exifs_eight() {
        assert_eq!(tag(o(0, false, false)), 1);
        assert_eq!(tag(o(0, true, false)), 2);
        assert_eq!(tag(o(180, false, false)), 3);
        assert_eq!(tag(o(0, false, true)), 4);
        assert_eq!(tag(o(270, true, false)), 5);
        assert_eq!(tag(o(90, false, false)), 6);
        assert_eq!(tag(o(90, true, false)), 7);
        assert_eq!(tag(o(270, false, false)), 8);
        // Both flips are a half turn.
        assert_eq!(tag(o(0, true, true)), 3);
        assert_eq!(tag(o(90, false, true)), 5);
    }

    /// The same pixel mapping as `orient.rs`, so that an encoded frame and a marked one
    /// show alike: the tag's transform, applied to a 3x2 picture, equals `Orientation::apply`.
    #[test]
    fn the_tag_shows_what_the_encoder_would_have_drawn() {
        use crate::size::Size;
        let rgb: Vec<u8> = (0..6u8).flat_map(|n| [n, 0, 0]).collect();
        let size = Size {
            width: 3,
            height: 2,
        };
        // EXIF's eight, as orientations without a vertical flip.
        let by_tag = [
            (2, o(0, true, false)),
            (4, o(180, true, false)),
            (5, o(270, true, false)),
            (7, o(90, true, false)),
        ];
        for (t, plain) in by_tag {
            for with_vflip in [o(180, false, true), o(0, false, true), o(90, false, true)] {
                if tag(with_vflip) == t {
                    assert_eq!(
                        with_vflip.apply(&rgb, size),
                        plain.apply(&rgb, size),
                        "tag {t}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_segment_goes_after_soi_and_the_frame_stays_valid() {
        let frame = Bytes::from_static(&[
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x02, 0x01, 0x01, 0x11,
            0x00, 0xFF, 0xD9,
        ]);
        let marked = mark(frame.clone(), 6);
        assert_eq!(marked.len(), frame.len() + 36);
        assert_eq!(&marked[2..4], &[0xFF, 0xE1]);
        assert_eq!(&marked[6..12], b"Exif\0\0");
        assert_eq!(marked[29 + 2], 6);
        let info = mjpeg_wire::jpeg::info(&marked).unwrap();
        assert_eq!((info.width, info.height), (2, 1));
        assert_eq!(mark(frame.clone(), 1), frame, "upright: untouched");
        assert_eq!(
            mark(Bytes::from_static(b"nope"), 6),
            Bytes::from_static(b"nope")
        );
    }
}
