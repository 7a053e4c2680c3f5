//! Fuzz the JPEG splitter: any bytes, cut anywhere, must neither panic nor hold more than
//! the frame limit; every frame it returns is SOI..EOI.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mjpeg_wire::jpeg::{Splitter, info};

// Small, so that inputs of a few KB (which the fuzzer runs fast) reach it.
const MAX_FRAME: usize = 2048;

fuzz_target!(|data: &[u8]| {
    let [cut, rest @ ..] = data else { return };
    let mut splitter = Splitter::with_max_frame_size(MAX_FRAME);
    let chunk = usize::from(*cut).max(1);
    for piece in rest.chunks(chunk) {
        splitter.push(Bytes::copy_from_slice(piece));
        loop {
            match splitter.next_frame() {
                Ok(Some(frame)) => {
                    assert!(frame.starts_with(&[0xFF, 0xD8]) && frame.ends_with(&[0xFF, 0xD9]));
                    assert!(frame.len() <= MAX_FRAME + 2);
                    let _ = info(&frame);
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
    }
    let _ = splitter.finish();
});
