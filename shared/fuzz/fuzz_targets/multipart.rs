//! Fuzz the multipart parser: any bytes, cut anywhere, with or without a declared boundary,
//! must neither panic nor hold more than the limits allow.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mjpeg_wire::multipart::{Limits, Parser};

// Small limits, so that inputs of a few KB (which the fuzzer runs fast) reach them.
const LIMITS: Limits = Limits {
    max_part_size: 2048,
    max_header_size: 256,
};

fuzz_target!(|data: &[u8]| {
    // First byte: how to cut; second: which boundary to declare.
    let [cut, mode, rest @ ..] = data else { return };
    let boundary = match mode % 4 {
        0 => None,
        1 => Some("b"),
        2 => Some("--b"),
        _ => Some("FRAME"),
    };
    let mut parser = Parser::with_limits(boundary, LIMITS);
    let chunk = usize::from(*cut).max(1);
    for piece in rest.chunks(chunk) {
        parser.push(Bytes::copy_from_slice(piece));
        loop {
            match parser.next_part() {
                Ok(Some(part)) => assert!(part.body().len() <= LIMITS.max_part_size),
                Ok(None) => break,
                Err(_) => {}
            }
        }
        // What is held between calls is bounded by the limits plus one chunk.
        assert!(
            parser.buffered() <= LIMITS.max_part_size + LIMITS.max_header_size + chunk + 256,
            "parser holds {} bytes",
            parser.buffered()
        );
    }
    let _ = parser.finish();
});
