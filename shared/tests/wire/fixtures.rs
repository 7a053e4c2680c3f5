//! Real captures of other servers' streams (see `../fixtures/README.md`) parse into exactly
//! the frames `expected.json` states, each a whole JPEG of the stated size.

use mjpeg_wire::jpeg;
use mjpeg_wire::multipart::{Limits, boundary_from_content_type};

use crate::{Parsed, parse_with};

/// (name, response head, body) of every capture.
pub const CAPTURES: [(&str, &str, &[u8]); 3] = [
    (
        "seed-recipe",
        include_str!("../fixtures/seed-recipe.headers"),
        include_bytes!("../fixtures/seed-recipe.body"),
    ),
    (
        "ffmpeg-mpjpeg",
        include_str!("../fixtures/ffmpeg-mpjpeg.headers"),
        include_bytes!("../fixtures/ffmpeg-mpjpeg.body"),
    ),
    (
        "ffmpeg-boundary-tag",
        include_str!("../fixtures/ffmpeg-boundary-tag.headers"),
        include_bytes!("../fixtures/ffmpeg-boundary-tag.body"),
    ),
];

/// The Content-Type line of a response head.
pub fn content_type(head: &str) -> Option<&str> {
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim())
    })
}

/// The JPEG frames among the parts: every non-empty body (the recipe sends an empty part
/// first).
fn frames(parsed: &Parsed) -> Vec<&[u8]> {
    parsed
        .bodies()
        .into_iter()
        .filter(|b| !b.is_empty())
        .collect()
}

#[test]
fn every_capture_parses_into_its_expected_whole_jpeg_frames() {
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/expected.json")).unwrap();
    for (name, head, body) in CAPTURES {
        let want = &expected[name];
        assert_eq!(want["bytes"].as_u64(), Some(body.len() as u64), "{name}");
        let boundary = content_type(head).and_then(boundary_from_content_type);
        for chunk in [1024, 64 * 1024, body.len()] {
            let parsed = parse_with(boundary.as_deref(), Limits::default(), body, chunk);
            assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
            assert_eq!(parsed.finish, Ok(()), "{name}");
            let frames = frames(&parsed);
            assert_eq!(
                Some(frames.len() as u64),
                want["frames"].as_u64(),
                "{name} in {chunk}-byte chunks"
            );
            for (i, frame) in frames.iter().enumerate() {
                assert!(frame.starts_with(&[0xFF, 0xD8]), "{name} frame {i} start");
                assert!(frame.ends_with(&[0xFF, 0xD9]), "{name} frame {i} end");
                let info = jpeg::info(frame).unwrap();
                assert_eq!(
                    format!("{}x{}", info.width, info.height),
                    want["size"].as_str().unwrap(),
                    "{name} frame {i}"
                );
            }
        }
    }
}

#[test]
fn the_boundary_is_the_one_each_server_used() {
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/expected.json")).unwrap();
    for (name, head, body) in CAPTURES {
        let declared = content_type(head).and_then(boundary_from_content_type);
        let mut parser = mjpeg_wire::multipart::Parser::new(declared.as_deref());
        parser.push(bytes::Bytes::from_static(body));
        parser.next_part().unwrap();
        assert_eq!(
            parser
                .boundary()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
            expected[name]["boundary"].as_str().map(String::from),
            "{name}"
        );
    }
}

#[test]
fn every_frame_of_every_capture_survives_the_jpeg_splitter() {
    // Concatenate all frames with no framing, as `rpicam-vid -o -` would write them.
    for (name, head, body) in CAPTURES {
        let boundary = content_type(head).and_then(boundary_from_content_type);
        let parsed = parse_with(boundary.as_deref(), Limits::default(), body, body.len());
        let frames = frames(&parsed);
        let raw = frames.concat();
        let split = crate::splitter::split(&raw, 4096);
        assert_eq!(split.len(), frames.len(), "{name}");
        assert!(
            split.iter().zip(&frames).all(|(a, b)| &a[..] == *b),
            "{name}"
        );
    }
}
