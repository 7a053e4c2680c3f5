//! The multipart parser against each variation real servers send.

use bytes::Bytes;
use futures_util::StreamExt;
use mjpeg_wire::multipart::{Limits, ParseError, Parser, PartStream, StreamError};

use crate::{parse, parse_with};

#[test]
fn the_original_recipe_crlf_content_length_and_an_empty_first_part() {
    let body = b"--FRAME\r\n\
        Content-Type: image/jpeg\r\n\
        Content-Length: 0\r\n\
        \r\n\
        \r\n\
        --FRAME\r\n\
        Content-Type: image/jpeg\r\n\
        Content-Length: 5\r\n\
        \r\n\
        JPEG1\r\n\
        --FRAME\r\n\
        Content-Type: image/jpeg\r\n\
        Content-Length: 5\r\n\
        \r\n\
        JPEG2\r\n";
    let parsed = parse(Some("FRAME"), body);
    assert_eq!(parsed.bodies(), [&b""[..], b"JPEG1", b"JPEG2"]);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.finish, Ok(()));
    assert_eq!(parsed.parts[1].content_type(), Some("image/jpeg"));
    assert_eq!(parsed.parts[1].content_length(), Some(5));
}

#[test]
fn bare_lf_line_endings() {
    let body = b"--b\nContent-Type: image/jpeg\nContent-Length: 3\n\nabc\n--b\nContent-Length: 2\n\nde\n--b--\n";
    let parsed = parse(Some("b"), body);
    assert_eq!(parsed.bodies(), [&b"abc"[..], b"de"]);
    assert_eq!(parsed.finish, Ok(()));
}

#[test]
fn without_content_length_the_body_ends_at_the_next_delimiter() {
    // CRLF and LF, and a body that contains CR, LF and dashes of its own.
    for (body, expected) in [
        (
            &b"--b\r\nContent-Type: image/jpeg\r\n\r\nab\r\n-\n--c\r\n--b\r\n\r\nxy\r\n--b--\r\n"[..],
            [&b"ab\r\n-\n--c"[..], b"xy"],
        ),
        (
            &b"--b\nContent-Type: image/jpeg\n\nab\r\n-\n--c\n--b\n\nxy\n--b--\n"[..],
            [&b"ab\r\n-\n--c"[..], b"xy"],
        ),
    ] {
        let parsed = parse(Some("b"), body);
        assert_eq!(parsed.bodies(), expected);
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.finish, Ok(()));
    }
}

#[test]
fn a_delimiter_must_be_a_whole_line() {
    // `--bb` inside a body is not the delimiter `--b`.
    let body = b"--b\r\n\r\nx\r\n--bb\r\n--b\r\n\r\ny\r\n--b\r\n";
    let parsed = parse(Some("b"), body);
    assert_eq!(parsed.bodies(), [&b"x\r\n--bb"[..], b"y"]);
}

#[test]
fn an_empty_body_without_content_length() {
    let body = b"--b\r\nX-Note: empty\r\n\r\n--b\r\n\r\nz\r\n--b\r\n";
    let parsed = parse(Some("b"), body);
    assert_eq!(parsed.bodies(), [&b""[..], b"z"]);
}

#[test]
fn a_preamble_and_blank_lines_before_the_first_boundary_are_skipped_silently() {
    let body =
        b"\r\n\r\nThis is a multi-part message.\r\n\n--b\r\nContent-Length: 1\r\n\r\nA\r\n--b\r\n";
    let parsed = parse(Some("b"), body);
    assert_eq!(parsed.bodies(), [b"A"]);
    assert!(parsed.errors.is_empty(), "a preamble is legal");
}

#[test]
fn extra_headers_in_any_case_are_kept_in_order() {
    let body = b"--b\r\ncontent-TYPE: image/jpeg\r\nX-Timestamp: 1700000000.5\r\nX-Frame-Number:  7 \r\nContent-length: 1\r\n\r\nA\r\n--b\r\n";
    let parsed = parse(Some("b"), body);
    let part = &parsed.parts[0];
    assert_eq!(part.content_type(), Some("image/jpeg"));
    assert_eq!(part.header("x-frame-number"), Some(&b"7"[..]));
    let names: Vec<&[u8]> = part.headers().iter().map(|h| h.name()).collect();
    assert_eq!(
        names,
        [
            &b"content-TYPE"[..],
            b"X-Timestamp",
            b"X-Frame-Number",
            b"Content-length"
        ]
    );
    assert_eq!(
        part.timestamp(),
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_500))
    );
}

#[test]
fn the_close_delimiter_ends_the_stream() {
    let body =
        b"--b\r\nContent-Length: 1\r\n\r\nA\r\n--b--\r\nepilogue that is ignored\r\n--b\r\n\r\nB";
    let parsed = parse(Some("b"), body);
    assert_eq!(parsed.bodies(), [b"A"]);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.finish, Ok(()));
}

#[test]
fn a_boundary_declared_with_leading_dashes_is_found_either_way() {
    // Some cameras declare `boundary=--myboundary` and then write `--myboundary`...
    let as_declared = b"--myboundary\r\nContent-Length: 1\r\n\r\nA\r\n--myboundary\r\n";
    // ...others follow RFC 2046 and write `----myboundary`.
    let with_dashes = b"----myboundary\r\nContent-Length: 1\r\n\r\nA\r\n----myboundary\r\n";
    for body in [&as_declared[..], &with_dashes[..]] {
        let parsed = parse(Some("--myboundary"), body);
        assert_eq!(parsed.bodies(), [b"A"]);
        assert!(parsed.errors.is_empty());
    }
}

#[test]
fn with_no_boundary_declared_the_first_dash_line_defines_it() {
    // ffmpeg's own HTTP server answers `application/octet-stream`.
    let body = b"--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: 3\r\n\r\nabc\r\n--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: 2\r\n\r\nde\r\n";
    let parsed = parse(None, body);
    assert_eq!(parsed.bodies(), [&b"abc"[..], b"de"]);
    assert!(parsed.errors.is_empty());
}

#[test]
fn a_page_that_is_not_a_stream_is_reported_not_read_forever() {
    let page = b"<!DOCTYPE html>\n<html><body>hello</body></html>\n".repeat(1000);
    let parsed = parse_with(None, Limits::default(), &page, 4096);
    assert!(parsed.parts.is_empty());
    match &parsed.errors[..] {
        [ParseError::NoBoundary { start, .. }, ..] => assert!(start.starts_with("<")),
        other => panic!("expected NoBoundary, got {other:?}"),
    }
}

#[test]
fn garbage_between_parts_is_skipped_and_counted() {
    let body = b"--b\r\nContent-Length: 1\r\n\r\nA\r\n--b\r\nContent-Length: 1\r\n\r\nBgarbage!\r\n--b\r\nContent-Length: 1\r\n\r\nC\r\n--b\r\n";
    let parsed = parse(Some("b"), body);
    assert_eq!(parsed.bodies(), [&b"A"[..], b"B", b"C"]);
    // "garbage!\r\n" follows B where a delimiter should be.
    match &parsed.errors[..] {
        [ParseError::Resynced { skipped: 10, .. }] => {}
        other => panic!("expected one Resynced of 10 bytes, got {other:?}"),
    }
}

#[test]
fn a_long_run_of_binary_garbage_is_skipped_in_bounded_memory() {
    let mut body = b"--b\r\nContent-Length: 1\r\n\r\nA\r\n--b\r\n\r\n".to_vec();
    body.truncate(body.len() - 2); // the second part's headers never come...
    body.extend(std::iter::repeat_n(0xAB_u8, 1 << 20)); // ...a megabyte of junk instead
    body.extend_from_slice(b"\r\n--b\r\nContent-Length: 1\r\n\r\nZ\r\n--b\r\n");
    let limits = Limits {
        max_part_size: 64 * 1024,
        max_header_size: 1024,
    };
    let mut parser = Parser::with_limits(Some("b"), limits);
    let mut bodies = Vec::new();
    let mut errors = Vec::new();
    let mut peak = 0;
    for piece in body.chunks(4096) {
        parser.push(Bytes::copy_from_slice(piece));
        loop {
            match parser.next_part() {
                Ok(Some(p)) => bodies.push(p.into_body()),
                Ok(None) => break,
                Err(e) => errors.push(e),
            }
        }
        peak = peak.max(parser.buffered());
    }
    assert_eq!(bodies, [&b"A"[..], b"Z"]);
    assert!(matches!(
        errors[0],
        ParseError::HeadersTooLarge { limit: 1024, .. }
    ));
    assert!(peak <= 8 * 1024, "held {peak} bytes while skipping");
}

#[test]
fn a_declared_oversized_part_is_skipped_without_buffering_it() {
    let limits = Limits {
        max_part_size: 10,
        max_header_size: 1024,
    };
    let body = b"--b\r\nContent-Length: 11\r\n\r\n01234567890\r\n--b\r\nContent-Length: 2\r\n\r\nok\r\n--b\r\n";
    let parsed = parse_with(Some("b"), limits, body, 5);
    assert_eq!(parsed.bodies(), [b"ok"]);
    match &parsed.errors[..] {
        [
            ParseError::PartTooLarge {
                declared: Some(11),
                limit: 10,
                offset: 27,
            },
        ] => {}
        other => panic!("expected PartTooLarge, got {other:?}"),
    }
}

#[test]
fn an_oversized_part_without_content_length_is_cut_off_at_the_limit() {
    let limits = Limits {
        max_part_size: 100,
        max_header_size: 1024,
    };
    let mut body = b"--b\r\n\r\n".to_vec();
    body.extend(vec![b'x'; 1000]);
    body.extend_from_slice(b"\r\n--b\r\n\r\nok\r\n--b\r\n");
    // Whether the body trickles in or arrives in one piece with its delimiter.
    for chunk in [64, body.len()] {
        let parsed = parse_with(Some("b"), limits, &body, chunk);
        assert_eq!(parsed.bodies(), [b"ok"], "{chunk}-byte chunks");
        assert!(
            matches!(
                parsed.errors[..],
                [ParseError::PartTooLarge {
                    declared: None,
                    limit: 100,
                    offset: 7,
                }]
            ),
            "{chunk}-byte chunks: {:?}",
            parsed.errors
        );
    }
}

#[test]
fn a_stream_cut_inside_a_part_says_so() {
    let parsed = parse(Some("b"), b"--b\r\nContent-Length: 10\r\n\r\n12345");
    assert!(parsed.parts.is_empty());
    assert_eq!(parsed.finish, Err(ParseError::Truncated { buffered: 5 }));
    // Ending right after a delimiter (pi-server at shutdown) is a clean end.
    let parsed = parse(Some("b"), b"--b\r\nContent-Length: 1\r\n\r\nA\r\n--b\r\n");
    assert_eq!(parsed.finish, Ok(()));
}

#[test]
fn a_body_inside_one_chunk_is_a_slice_of_it_not_a_copy() {
    let chunk = Bytes::from_static(b"--b\r\nContent-Length: 4\r\n\r\nJPEG\r\n--b\r\n");
    let mut parser = Parser::new(Some("b"));
    parser.push(chunk.clone());
    let part = parser.next_part().unwrap().unwrap();
    let offset = chunk.len() - b"JPEG\r\n--b\r\n".len();
    assert_eq!(part.body().as_ptr(), chunk[offset..].as_ptr());
}

#[tokio::test]
async fn part_stream_reads_an_http_body_stream() {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(
            b"--FRAME\r\nContent-Length: 3\r\n\r\nab",
        )),
        Ok(Bytes::from_static(
            b"c\r\n--FRAME\r\nContent-Length: 2\r\n\r\nde\r\n",
        )),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        )),
    ];
    let mut parts = PartStream::new(
        futures_util::stream::iter(chunks),
        Some("multipart/x-mixed-replace;boundary=FRAME"),
    );
    assert_eq!(&parts.next().await.unwrap().unwrap().body()[..], b"abc");
    assert_eq!(&parts.next().await.unwrap().unwrap().body()[..], b"de");
    assert!(matches!(
        parts.next().await,
        Some(Err(StreamError::Transport(_)))
    ));
    assert!(parts.next().await.is_none());
}

#[tokio::test]
async fn part_stream_learns_the_boundary_when_the_content_type_has_none() {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(
        b"--ffmpeg\r\nContent-length: 1\r\n\r\nA\r\n--ffmpeg\r\nContent-length: 10\r\n\r\ncut",
    ))];
    let mut parts = PartStream::new(
        futures_util::stream::iter(chunks),
        Some("application/octet-stream"),
    );
    assert_eq!(&parts.next().await.unwrap().unwrap().body()[..], b"A");
    assert!(matches!(
        parts.next().await,
        Some(Err(StreamError::Parse(ParseError::Truncated {
            buffered: 3
        })))
    ));
    assert!(parts.next().await.is_none());
}

#[test]
fn a_dashed_line_that_is_not_a_delimiter_cannot_stall_the_parser() {
    // Found by the fuzzer: with `boundary=--b` declared, a line `-----b` followed by a run
    // of bytes with no line feed made resynchronisation accept the same rejected line
    // again and again. It must be skipped, and the next real delimiter found.
    let mut body = b"\"\0\n-!-----b\x0f".to_vec();
    body.extend([0xFF; 110]);
    body.push(0xD4);
    let parsed = parse(Some("--b"), &body);
    assert!(parsed.parts.is_empty());
    let mut body = b"----b\x0f".to_vec();
    body.extend([0xFF; 200]);
    body.extend_from_slice(b"\r\n----b\r\nContent-Length: 1\r\n\r\nA\r\n----b\r\n");
    let parsed = parse(Some("--b"), &body);
    assert_eq!(parsed.bodies(), [b"A"]);
}
