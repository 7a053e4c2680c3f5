//! The wire format's behaviour, as one test binary (one link instead of five).
//!
//! - `multipart`: every variation real servers send, as byte strings a reader can follow.
//! - `fixtures`: real captures of other servers' streams parse to their known frame counts.
//! - `roundtrip`: property tests; whatever the writer writes, cut anywhere, parses back.
//! - `differential`: the `multipart-stream` crate agrees with us byte for byte.
//! - `splitter`: raw concatenated JPEG streams.
//! - `huffman`: webcam frames without Huffman tables get the standard ones.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod differential;
mod fixtures;
mod huffman;
mod multipart;
mod roundtrip;
mod splitter;

use bytes::Bytes;
use mjpeg_wire::multipart::{Limits, ParseError, Parser, Part};

/// Everything a parser makes of `input` fed in `chunk`-sized pieces: the parts, the errors
/// in order, and the result of `finish`.
#[derive(Debug)]
pub struct Parsed {
    pub parts: Vec<Part>,
    pub errors: Vec<ParseError>,
    pub finish: Result<(), ParseError>,
}

impl Parsed {
    pub fn bodies(&self) -> Vec<&[u8]> {
        self.parts.iter().map(|p| &p.body()[..]).collect()
    }
}

pub fn parse_with(boundary: Option<&str>, limits: Limits, input: &[u8], chunk: usize) -> Parsed {
    let mut parser = Parser::with_limits(boundary, limits);
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        parser.push(Bytes::copy_from_slice(piece));
        loop {
            match parser.next_part() {
                Ok(Some(part)) => parts.push(part),
                Ok(None) => break,
                Err(e) => errors.push(e),
            }
        }
    }
    let finish = parser.finish();
    Parsed {
        parts,
        errors,
        finish,
    }
}

/// Parses `input` in every chunk size from 1 byte to all at once (a few sizes for long
/// inputs) and checks that the result never depends on how the bytes were cut.
pub fn parse(boundary: Option<&str>, input: &[u8]) -> Parsed {
    let whole = parse_with(boundary, Limits::default(), input, input.len());
    let sizes: Vec<usize> = if input.len() <= 300 {
        (1..=input.len()).collect()
    } else {
        vec![1, 2, 3, 7, 64, 1000, 4096]
    };
    for size in sizes {
        let cut = parse_with(boundary, Limits::default(), input, size);
        assert_eq!(
            cut.parts, whole.parts,
            "parts differ with {size}-byte chunks"
        );
        assert_eq!(
            cut.errors, whole.errors,
            "errors differ with {size}-byte chunks"
        );
        assert_eq!(
            cut.finish, whole.finish,
            "finish differs with {size}-byte chunks"
        );
    }
    whole
}
