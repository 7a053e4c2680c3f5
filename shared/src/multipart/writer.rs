//! The server's side of the format: the bytes around each JPEG.
//!
//! A stream written by [`Writer`] looks like this (CRLF line endings):
//!
//! ```text
//! --FRAME                              <- Writer::opening, once
//! Content-Type: image/jpeg             <- Writer::part_head, per frame
//! Content-Length: 23456
//! X-Timestamp: 1700000000.041667
//!
//! <23456 bytes of JPEG>
//! --FRAME                              <- Writer::part_end, per frame
//! ```
//!
//! Each JPEG is followed at once by the next delimiter rather than having the delimiter sent
//! with the next frame: browsers show a part only when the boundary after it arrives
//! (Chromium bug 527446), so this saves a whole frame interval of latency.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};

/// The boundary pi-server uses; the original picamera recipe's.
pub const DEFAULT_BOUNDARY: &str = "FRAME";

/// Line endings a [`Writer`] emits. Servers send CRLF; LF exists to test parsers against
/// the servers that send bare LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// `\r\n`, as RFC 2046 says.
    #[default]
    CrLf,
    /// `\n`.
    Lf,
}

impl LineEnding {
    fn as_str(self) -> &'static str {
        match self {
            LineEnding::CrLf => "\r\n",
            LineEnding::Lf => "\n",
        }
    }
}

/// A boundary that cannot be used (empty, too long, or with characters RFC 2046 forbids).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid multipart boundary {0:?}: use 1 to 70 letters, digits or '()+_,-./:=?")]
pub struct InvalidBoundary(pub String);

/// Writes the framing of a `multipart/x-mixed-replace` stream of JPEGs.
#[derive(Debug, Clone)]
pub struct Writer {
    boundary: String,
    eol: LineEnding,
    content_length: bool,
    opening: Bytes,
    part_end: Bytes,
    advance_head: Bytes,
    part_end_advancing: Bytes,
}

impl Default for Writer {
    fn default() -> Self {
        Self::build(DEFAULT_BOUNDARY.to_string(), LineEnding::CrLf, true)
    }
}

impl Writer {
    /// A writer with the given boundary (the bare token, without `--`), CRLF line endings
    /// and a `Content-Length` on every part.
    pub fn new(boundary: &str) -> Result<Self, InvalidBoundary> {
        let valid = (1..=70).contains(&boundary.len())
            && boundary
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&b));
        if !valid {
            return Err(InvalidBoundary(boundary.to_string()));
        }
        Ok(Self::build(boundary.to_string(), LineEnding::CrLf, true))
    }

    /// The same writer with other line endings.
    pub fn with_line_ending(self, eol: LineEnding) -> Self {
        Self::build(self.boundary, eol, self.content_length)
    }

    /// The same writer with or without a `Content-Length` header per part. Without it a
    /// reader has to scan every body for the boundary; pi-server always sends it.
    pub fn with_content_length(self, content_length: bool) -> Self {
        Self::build(self.boundary, self.eol, content_length)
    }

    fn build(boundary: String, eol: LineEnding, content_length: bool) -> Self {
        let nl = eol.as_str();
        let opening = Bytes::from(format!("--{boundary}{nl}"));
        let part_end = Bytes::from(format!("{nl}--{boundary}{nl}"));
        let advance_head = Bytes::from(format!("Content-Type: image/jpeg{nl}{nl}"));
        let part_end_advancing = Bytes::from([&part_end[..], &advance_head[..]].concat());
        Writer {
            boundary,
            eol,
            content_length,
            opening,
            part_end,
            advance_head,
            part_end_advancing,
        }
    }

    /// The boundary token.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The response's `Content-Type` header value.
    pub fn content_type(&self) -> String {
        format!("multipart/x-mixed-replace; boundary={}", self.boundary)
    }

    /// The first delimiter line, sent once at the start of the body.
    pub fn opening(&self) -> Bytes {
        self.opening.clone()
    }

    /// The header block of a part holding a JPEG of `len` bytes captured at `captured`.
    pub fn part_head(&self, len: usize, captured: SystemTime) -> Bytes {
        let nl = self.eol.as_str();
        let mut head = String::with_capacity(96);
        // Writing into a String cannot fail.
        let _ = write!(head, "Content-Type: image/jpeg{nl}");
        if self.content_length {
            let _ = write!(head, "Content-Length: {len}{nl}");
        }
        let since_epoch = captured.duration_since(UNIX_EPOCH).unwrap_or_default();
        let _ = write!(
            head,
            "X-Timestamp: {}.{:06}{nl}{nl}",
            since_epoch.as_secs(),
            since_epoch.subsec_micros()
        );
        Bytes::from(head)
    }

    /// What follows each JPEG: the line ending and the next delimiter line.
    pub fn part_end(&self) -> Bytes {
        self.part_end.clone()
    }

    /// For browsers: the header block of the next part, sent before that part's frame
    /// exists, so it has the type only (no `Content-Length`, no `X-Timestamp`).
    ///
    /// Chromium shows a part only once the next part's header block is complete (Chromium
    /// bug 527446; its multipart parser finishes a part when it has parsed the next one's
    /// headers). With [`Writer::part_end`] alone a browser is therefore always one frame
    /// behind, whatever the server does. Sending the next header block right after each
    /// JPEG (ustreamer's `advance_headers`) lets it show every frame on arrival. Readers
    /// that want lengths and capture times get the ordinary parts.
    pub fn advance_head(&self) -> Bytes {
        self.advance_head.clone()
    }

    /// What follows each JPEG for a browser: [`Writer::part_end`] and
    /// [`Writer::advance_head`] in one piece.
    pub fn part_end_advancing(&self) -> Bytes {
        self.part_end_advancing.clone()
    }

    /// Appends one whole part (head, JPEG, end) to `out`; the opening must already be there.
    /// The server sends the three pieces separately so the JPEG is never copied; this is
    /// for files and tests.
    pub fn write_part(&self, out: &mut BytesMut, jpeg: &[u8], captured: SystemTime) {
        out.put(self.part_head(jpeg.len(), captured));
        out.put_slice(jpeg);
        out.put(self.part_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_part_reads_as_documented() {
        let w = Writer::default();
        let mut out = BytesMut::new();
        out.put(w.opening());
        w.write_part(
            &mut out,
            b"JPEG",
            UNIX_EPOCH + Duration::from_micros(1_700_000_000_041_667),
        );
        assert_eq!(
            &out[..],
            b"--FRAME\r\n\
              Content-Type: image/jpeg\r\n\
              Content-Length: 4\r\n\
              X-Timestamp: 1700000000.041667\r\n\
              \r\n\
              JPEG\r\n\
              --FRAME\r\n"
        );
        assert_eq!(
            w.content_type(),
            "multipart/x-mixed-replace; boundary=FRAME"
        );
    }

    #[test]
    fn advancing_parts_end_with_the_next_header_block() {
        let w = Writer::default();
        let mut out = BytesMut::new();
        out.put(w.opening());
        out.put(w.advance_head());
        for jpeg in [&b"ONE"[..], b"TWO"] {
            out.put_slice(jpeg);
            out.put(w.part_end_advancing());
        }
        assert_eq!(
            &out[..],
            b"--FRAME\r\nContent-Type: image/jpeg\r\n\r\n\
              ONE\r\n--FRAME\r\nContent-Type: image/jpeg\r\n\r\n\
              TWO\r\n--FRAME\r\nContent-Type: image/jpeg\r\n\r\n"
        );
        // Our own parser reads such parts by their boundaries.
        let mut parser = crate::multipart::Parser::new(Some("FRAME"));
        parser.push(out.freeze());
        let first = parser.next_part().unwrap().unwrap();
        let second = parser.next_part().unwrap().unwrap();
        assert_eq!(
            (&first.body()[..], &second.body()[..]),
            (&b"ONE"[..], &b"TWO"[..])
        );
        assert_eq!(first.timestamp(), None);
    }

    #[test]
    fn lf_without_content_length() {
        let w = Writer::new("b")
            .unwrap()
            .with_line_ending(LineEnding::Lf)
            .with_content_length(false);
        let head = w.part_head(4, UNIX_EPOCH);
        assert_eq!(
            &head[..],
            b"Content-Type: image/jpeg\nX-Timestamp: 0.000000\n\n"
        );
        assert_eq!(&w.part_end()[..], b"\n--b\n");
    }

    #[test]
    fn boundaries_rfc_2046_forbids_are_refused() {
        assert!(Writer::new("").is_err());
        assert!(Writer::new("has space").is_err());
        assert!(Writer::new("quote\"").is_err());
        assert!(Writer::new(&"x".repeat(71)).is_err());
        assert!(Writer::new("boundarydonotcross").is_ok());
    }
}
