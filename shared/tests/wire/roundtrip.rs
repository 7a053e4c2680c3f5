//! Property: any sequence of frames the writer writes, cut into chunks of any sizes,
//! parses back to the same frames and timestamps, with and without Content-Length, with
//! CRLF and with LF.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use mjpeg_wire::multipart::{LineEnding, Parser, Writer};
use proptest::prelude::*;

/// A frame body: JPEG-like bytes (SOI, random payload, EOI). Random bytes cannot contain a
/// delimiter line by chance at these sizes, so scanning without Content-Length is exact.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..3000).prop_map(|payload| {
        let mut f = vec![0xFF, 0xD8];
        f.extend(payload);
        f.extend([0xFF, 0xD9]);
        f
    })
}

fn writer() -> impl Strategy<Value = Writer> {
    (
        prop_oneof![Just("FRAME"), Just("boundarydonotcross"), Just("x")],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(boundary, lf, content_length)| {
            Writer::new(boundary)
                .unwrap()
                .with_line_ending(if lf { LineEnding::Lf } else { LineEnding::CrLf })
                .with_content_length(content_length)
        })
}

/// Chunk sizes: mostly small (the hard cases), sometimes everything at once.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1..8usize, 1..200usize, 1..70_000usize], 1..64)
}

fn written(w: &Writer, frames: &[(Vec<u8>, SystemTime)]) -> Bytes {
    let mut out = BytesMut::new();
    out.put(w.opening());
    for (jpeg, at) in frames {
        w.write_part(&mut out, jpeg, *at);
    }
    out.freeze()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn whatever_the_writer_writes_parses_back(
        w in writer(),
        frames in prop::collection::vec((frame(), 0u64..4_000_000_000_000_000), 0..12),
        cuts in cuts(),
        declare in any::<bool>(),
    ) {
        let frames: Vec<(Vec<u8>, SystemTime)> = frames
            .into_iter()
            .map(|(f, us)| (f, UNIX_EPOCH + Duration::from_micros(us)))
            .collect();
        let stream = written(&w, &frames);
        // With the boundary from the Content-Type, or learnt from the body.
        let mut parser = Parser::new(declare.then_some(w.boundary()));
        let mut got = Vec::new();
        let mut rest = stream.clone();
        let mut cuts = cuts.into_iter().cycle();
        while !rest.is_empty() {
            let n = cuts.next().unwrap_or(1).min(rest.len());
            parser.push(rest.split_to(n));
            while let Some(part) = parser.next_part().expect("no parse error") {
                got.push(part);
            }
        }
        prop_assert_eq!(parser.finish(), Ok(()));
        prop_assert_eq!(got.len(), frames.len());
        for (part, (jpeg, at)) in got.iter().zip(&frames) {
            prop_assert_eq!(&part.body()[..], &jpeg[..]);
            prop_assert_eq!(part.content_type(), Some("image/jpeg"));
            // X-Timestamp carries microseconds.
            prop_assert_eq!(part.timestamp(), Some(*at));
        }
    }
}
