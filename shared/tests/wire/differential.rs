//! Differential test: the `multipart-stream` crate (Scott Lamb's, used by moonfire-nvr)
//! parses the same captures; wherever it produces a part, ours must be the same byte for
//! byte, headers included. It is a dev-dependency only: it pulls `http` 0.2 beside the
//! `http` 1 that hyper and reqwest use.

use bytes::Bytes;
use futures_util::StreamExt;
use mjpeg_wire::multipart::{Limits, boundary_from_content_type};

use crate::fixtures::{CAPTURES, content_type};
use crate::parse_with;

#[tokio::test]
async fn multipart_stream_agrees_with_us_on_every_capture() {
    for (name, head, body) in CAPTURES {
        let declared = content_type(head).and_then(boundary_from_content_type);
        let ours = parse_with(declared.as_deref(), Limits::default(), body, 64 * 1024);
        // multipart-stream needs the boundary up front; give it the one we found.
        let boundary = String::from_utf8({
            let mut p = mjpeg_wire::multipart::Parser::new(declared.as_deref());
            p.push(Bytes::from_static(body));
            let _ = p.next_part();
            p.boundary().expect("boundary").to_vec()
        })
        .unwrap();
        let chunks: Vec<Result<Bytes, std::io::Error>> = body
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::from_static(c)))
            .collect();
        let theirs: Vec<_> = multipart_stream::parse(futures_util::stream::iter(chunks), &boundary)
            .collect()
            .await;
        let theirs: Vec<multipart_stream::Part> =
            theirs.into_iter().map_while(Result::ok).collect();
        assert!(
            theirs.len() >= ours.parts.len() - 1,
            "{name}: multipart-stream produced only {} of our {} parts",
            theirs.len(),
            ours.parts.len()
        );
        for (i, (a, b)) in ours.parts.iter().zip(&theirs).enumerate() {
            assert_eq!(&a.body()[..], &b.body[..], "{name}: body of part {i}");
            assert_eq!(
                a.headers().len(),
                b.headers.len(),
                "{name}: header count of part {i}"
            );
            for h in a.headers() {
                let name_str = std::str::from_utf8(h.name()).unwrap();
                assert_eq!(
                    b.headers.get(name_str).map(|v| v.as_bytes()),
                    Some(h.value()),
                    "{name}: header {name_str} of part {i}"
                );
            }
        }
    }
}
