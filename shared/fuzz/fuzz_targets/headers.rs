//! Fuzz header-level parsing: a response's Content-Type (the boundary), a JPEG's marker
//! segments (frame size, Huffman tables, inserting the standard ones) and the test
//! pattern's frame-number strip read from arbitrary pixels. None may panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mjpeg_wire::jpeg::{huffman_tables, info, with_standard_huffman_tables};
use mjpeg_wire::multipart::{Writer, boundary_from_content_type};
use mjpeg_wire::strip;

fuzz_target!(|data: &[u8]| {
    let [selector, rest @ ..] = data else { return };
    match selector % 3 {
        0 => {
            let content_type = String::from_utf8_lossy(rest);
            if let Some(boundary) = boundary_from_content_type(&content_type) {
                // A boundary we accept from a server may or may not be one we would write;
                // either answer is fine, a panic is not.
                let _ = Writer::new(&boundary);
            }
        }
        1 => {
            let _ = info(rest);
            let _ = huffman_tables(rest);
            let fixed = with_standard_huffman_tables(rest);
            // Tables are only ever added.
            assert!(fixed.len() >= rest.len());
        }
        _ => {
            let [w, h, channels, pixels @ ..] = rest else { return };
            let (w, h) = (usize::from(*w) + 1, usize::from(*h) + 1);
            let channels = usize::from(*channels % 5);
            // Whatever the sizes claim, a read either finds a strip or says none.
            let _ = strip::read(pixels, w, h, channels);
            if pixels.len() >= w * h * 3 {
                let _ = strip::read(&pixels[..w * h * 3], w, h, 3);
            }
        }
    }
});
