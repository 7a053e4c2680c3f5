//! `multipart/x-mixed-replace`: the framing of every MJPEG-over-HTTP stream.
//!
//! A response body is a sequence of parts, each opened by a delimiter line `--BOUNDARY`,
//! then header lines, a blank line and the body (one JPEG). Real servers disagree on almost
//! every detail, so the [`Parser`] accepts: a boundary quoted or not, declared with or without
//! a leading `--`, or not declared at all (ffmpeg answers `application/octet-stream`);
//! CRLF or bare LF; parts with `Content-Length` (the body is skipped over, not scanned) or
//! without it (scanned for the next delimiter); a preamble; extra headers in any case;
//! empty parts; and a closing `--BOUNDARY--`.

mod boundary;
mod error;
mod parser;
mod part;
mod stream;
mod writer;

pub use boundary::boundary_from_content_type;
pub use error::ParseError;
pub use parser::{Limits, Parser};
pub use part::{Header, Part};
pub use stream::{PartStream, StreamError};
pub use writer::{DEFAULT_BOUNDARY, InvalidBoundary, LineEnding, Writer};
