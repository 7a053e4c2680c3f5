//! What can go wrong while parsing a multipart stream.

/// A violation found in a multipart body.
///
/// Every variant but [`ParseError::Truncated`] is recoverable: the parser has already
/// skipped to a state where feeding more bytes yields the following parts, so a caller may
/// count the error and go on (the viewer does), or end the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A part's body is larger than [`super::Limits::max_part_size`]; it was discarded.
    #[error(
        "part at byte {offset} is larger than the limit of {limit} bytes{}; it was skipped",
        declared.map(|d| format!(" (Content-Length: {d})")).unwrap_or_default()
    )]
    PartTooLarge {
        /// Stream offset where the part's body began.
        offset: u64,
        /// The part's Content-Length, when it declared one.
        declared: Option<u64>,
        /// The configured maximum.
        limit: usize,
    },
    /// A part's header block is larger than [`super::Limits::max_header_size`].
    #[error("part headers at byte {offset} exceed {limit} bytes; skipped to the next boundary")]
    HeadersTooLarge {
        /// Stream offset where the header block began.
        offset: u64,
        /// The configured maximum.
        limit: usize,
    },
    /// Bytes that belong to no part were found and skipped up to the next boundary.
    #[error("skipped {skipped} bytes of garbage before the boundary at byte {offset}")]
    Resynced {
        /// How many bytes were dropped.
        skipped: u64,
        /// Stream offset of the boundary parsing resumed at.
        offset: u64,
    },
    /// No boundary was declared and the body did not start with a `--boundary` line.
    #[error(
        "no multipart boundary found in the first {searched} bytes (not an MJPEG stream?); \
         starts with {start:?}"
    )]
    NoBoundary {
        /// How many bytes were searched.
        searched: u64,
        /// The first bytes of the body, for the user to recognise what it is.
        start: String,
    },
    /// The stream ended inside a part.
    #[error("stream ended inside a part ({buffered} bytes of an unfinished part dropped)")]
    Truncated {
        /// Bytes of the unfinished part that were dropped.
        buffered: usize,
    },
}

impl ParseError {
    /// Whether the parser can go on after this error when fed more bytes.
    pub fn is_recoverable(&self) -> bool {
        !matches!(self, ParseError::Truncated { .. })
    }
}
