//! The push-based multipart parser: feed chunks of any size, pull finished parts.

use bytes::Bytes;
use memchr::memmem::Finder;

use super::error::ParseError;
use super::part::{Header, Part, find_header};
use crate::chunks::ChunkQueue;

/// Bounds on what one part may make the parser hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest part body accepted; a larger one is skipped with
    /// [`ParseError::PartTooLarge`]. A 4K JPEG at high quality is about 3 MB.
    pub max_part_size: usize,
    /// Largest header block of one part (all its header lines together).
    pub max_header_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_part_size: 16 * 1024 * 1024,
            max_header_size: 16 * 1024,
        }
    }
}

/// How delimiter lines are recognised.
#[derive(Debug)]
enum Boundary {
    /// None declared: the first line starting with `--` defines it (ffmpeg's server).
    Sniff,
    /// Declared in the Content-Type, but the spelling in the body is not settled yet:
    /// a server that declares `boundary=--x` may write `--x` or `----x`.
    Declared(Vec<u8>),
    /// The exact delimiter line (`--x`), and a finder for it at the start of a line.
    Known {
        line: Vec<u8>,
        finder: Box<Finder<'static>>,
    },
}

impl Boundary {
    fn known(line: &[u8]) -> Self {
        let mut needle = Vec::with_capacity(line.len() + 1);
        needle.push(b'\n');
        needle.extend_from_slice(line);
        Boundary::Known {
            line: line.to_vec(),
            finder: Box::new(Finder::new(&needle).into_owned()),
        }
    }

    /// Whether `line` (end of line already stripped) is a delimiter or close delimiter
    /// line, settling the spelling on the first one seen.
    fn classify(&mut self, line: &[u8]) -> Option<Delimiter> {
        let (candidate, kind) = match line.strip_suffix(b"--") {
            Some(open) if open.len() >= 3 => (open, Delimiter::Close),
            _ => (line, Delimiter::Open),
        };
        // A close line can only be recognised once the open spelling is known; before that
        // `--x--` is read as an open delimiter for the token `x--`, which is harmless.
        match self {
            Boundary::Known { line: known, .. } => {
                if candidate == known.as_slice() {
                    Some(kind)
                } else if line == known.as_slice() {
                    Some(Delimiter::Open)
                } else {
                    None
                }
            }
            Boundary::Declared(token) => {
                let spelled_with_dashes = line.len() == token.len() + 2
                    && line.starts_with(b"--")
                    && &line[2..] == token.as_slice();
                let spelled_as_declared = token.starts_with(b"--") && line == token.as_slice();
                if spelled_with_dashes || spelled_as_declared {
                    *self = Boundary::known(line);
                    Some(Delimiter::Open)
                } else {
                    None
                }
            }
            Boundary::Sniff => {
                if line.len() > 2 && line.starts_with(b"--") {
                    *self = Boundary::known(line);
                    Some(Delimiter::Open)
                } else {
                    None
                }
            }
        }
    }

    /// A needle that every spelling of the delimiter line contains, for resynchronising.
    fn resync_needle(&self) -> Option<Vec<u8>> {
        match self {
            Boundary::Sniff => None,
            Boundary::Declared(token) if token.starts_with(b"--") => Some(token.clone()),
            Boundary::Declared(token) => Some([b"--".as_slice(), token].concat()),
            Boundary::Known { line, .. } => Some(line.clone()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimiter {
    Open,
    Close,
}

#[derive(Debug)]
enum State {
    /// Expecting a delimiter line; blank lines are skipped.
    Delimiter,
    /// Skipping bytes that belong to no part until the next delimiter line. `from` is where
    /// the search resumes; `report` says whether the skip is an error worth reporting
    /// (garbage) or expected (a preamble).
    Resync { from: usize, report: bool },
    /// Reading header lines; `size` counts the header block so far.
    Headers { headers: Vec<Header>, size: usize },
    /// Waiting for a body of known length.
    Body { headers: Vec<Header>, len: usize },
    /// Scanning for the delimiter that ends a body of unknown length; positions before
    /// `from` hold no delimiter.
    Scan { headers: Vec<Header>, from: usize },
    /// After the close delimiter: everything else is ignored.
    Done,
}

/// An incremental `multipart/x-mixed-replace` parser.
///
/// ```
/// use bytes::Bytes;
/// use mjpeg_wire::multipart::Parser;
///
/// let mut parser = Parser::new(Some("FRAME"));
/// parser.push(Bytes::from_static(b"--FRAME\r\nContent-Type: image/jpeg\r\nContent-Len"));
/// assert_eq!(parser.next_part(), Ok(None)); // needs more bytes
/// parser.push(Bytes::from_static(b"gth: 3\r\n\r\nabc\r\n--FRAME\r\n"));
/// let part = parser.next_part().unwrap().unwrap();
/// assert_eq!(&part.body()[..], b"abc");
/// assert_eq!(part.content_type(), Some("image/jpeg"));
/// ```
#[derive(Debug)]
pub struct Parser {
    buf: ChunkQueue,
    state: State,
    boundary: Boundary,
    limits: Limits,
    /// Stream offset of the first buffered byte, for error messages.
    offset: u64,
    /// Bytes dropped in the current resynchronisation.
    skipped: u64,
    /// Bytes of preamble seen while the boundary is still unknown.
    preamble: u64,
    /// The first this many buffered bytes hold no line feed (a search already looked).
    no_newline_before: usize,
    parts: u64,
}

impl Parser {
    /// A parser for the boundary declared in the Content-Type (see
    /// [`super::boundary_from_content_type`]), or `None` to learn it from the body's first
    /// `--` line.
    pub fn new(boundary: Option<&str>) -> Self {
        Self::with_limits(boundary, Limits::default())
    }

    /// As [`Parser::new`], with explicit limits.
    pub fn with_limits(boundary: Option<&str>, limits: Limits) -> Self {
        let boundary = match boundary {
            Some(b) if !b.is_empty() => Boundary::Declared(b.as_bytes().to_vec()),
            _ => Boundary::Sniff,
        };
        Parser {
            buf: ChunkQueue::default(),
            state: State::Delimiter,
            boundary,
            limits,
            offset: 0,
            skipped: 0,
            preamble: 0,
            no_newline_before: 0,
            parts: 0,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, chunk: Bytes) {
        if !matches!(self.state, State::Done) {
            self.buf.push(chunk);
        }
    }

    /// Bytes received but not yet returned in a part.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// How many parts were returned so far.
    pub fn parts(&self) -> u64 {
        self.parts
    }

    /// The boundary token as the stream spells it (without the leading `--` of the
    /// delimiter line), once the first delimiter line has been seen.
    pub fn boundary(&self) -> Option<&[u8]> {
        match &self.boundary {
            Boundary::Known { line, .. } => line.get(2..),
            _ => None,
        }
    }

    /// Whether the close delimiter `--boundary--` was seen.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// The next complete part, `Ok(None)` when more bytes are needed, or an error. After a
    /// recoverable error (see [`ParseError::is_recoverable`]) parsing goes on with the
    /// next call.
    pub fn next_part(&mut self) -> Result<Option<Part>, ParseError> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Done);
            let (next, outcome) = self.step(state);
            self.state = next;
            match outcome {
                Step::Continue => {}
                Step::NeedMore => return Ok(None),
                Step::Part(part) => {
                    self.parts += 1;
                    return Ok(Some(part));
                }
                Step::Error(e) => return Err(e),
            }
        }
    }

    /// Tells the parser the stream ended; an error says what was left unfinished.
    pub fn finish(&mut self) -> Result<(), ParseError> {
        let state = std::mem::replace(&mut self.state, State::Done);
        let buffered = self.buf.len();
        let result = match state {
            State::Done => Ok(()),
            State::Delimiter if self.only_blank_or_partial_delimiter() => Ok(()),
            State::Headers { headers, size }
                if headers.is_empty() && size == 0 && buffered == 0 =>
            {
                Ok(())
            }
            State::Resync { report, .. } if report && self.skipped + buffered as u64 > 0 => {
                Err(ParseError::Resynced {
                    skipped: self.skipped + buffered as u64,
                    offset: self.offset + buffered as u64,
                })
            }
            State::Resync { .. } => Ok(()),
            _ => Err(ParseError::Truncated { buffered }),
        };
        self.buf.advance(buffered);
        self.no_newline_before = 0;
        result
    }

    /// Whether what is left is white space or the start of a delimiter line: a stream
    /// that ends between parts.
    fn only_blank_or_partial_delimiter(&self) -> bool {
        let mut rest = vec![0; self.buf.len().min(256)];
        let n = self.buf.copy_to(0, &mut rest);
        let rest = rest[..n].trim_ascii();
        match &self.boundary {
            _ if rest.is_empty() => true,
            Boundary::Known { line, .. } => {
                self.buf.len() <= 256 && (line.starts_with(rest) || rest.starts_with(line))
            }
            _ => false,
        }
    }

    /// Removes `n` bytes from the front of the buffer.
    fn consume(&mut self, n: usize) {
        self.buf.advance(n);
        self.offset += n as u64;
        self.no_newline_before = 0;
    }

    /// Removes and returns `n` bytes from the front of the buffer.
    fn take(&mut self, n: usize) -> Bytes {
        self.offset += n as u64;
        self.no_newline_before = 0;
        self.buf.take(n)
    }

    /// The next line without its line ending, if a whole line is buffered; the line
    /// ending is consumed too. `limit` bounds how far to look.
    fn next_line(&mut self, limit: usize) -> Line {
        // Resume where the last search for this line stopped: a line trickling in a byte
        // at a time must not be rescanned from its start on every byte.
        match self.buf.find_byte(self.no_newline_before, b'\n') {
            Some(nl) if nl <= limit => {
                let raw = self.take(nl + 1);
                let mut end = nl;
                if end > 0 && raw[end - 1] == b'\r' {
                    end -= 1;
                }
                Line::Whole(raw.slice(..end), nl + 1)
            }
            Some(_) => Line::TooLong,
            None if self.buf.len() > limit => Line::TooLong,
            None => {
                self.no_newline_before = self.buf.len();
                Line::Partial
            }
        }
    }

    fn step(&mut self, state: State) -> (State, Step) {
        match state {
            State::Done => {
                let n = self.buf.len();
                self.consume(n);
                (State::Done, Step::NeedMore)
            }
            State::Delimiter => self.step_delimiter(),
            State::Resync { from, report } => self.step_resync(from, report),
            State::Headers { headers, size } => self.step_headers(headers, size),
            State::Body { headers, len } => {
                if self.buf.len() < len {
                    return (State::Body { headers, len }, Step::NeedMore);
                }
                let body = self.take(len);
                (State::Delimiter, Step::Part(Part { headers, body }))
            }
            State::Scan { headers, from } => self.step_scan(headers, from),
        }
    }

    fn step_delimiter(&mut self) -> (State, Step) {
        // A delimiter line is the boundary plus a little transport padding; anything much
        // longer is not one.
        let limit = match &self.boundary {
            Boundary::Sniff => self.limits.max_header_size,
            Boundary::Declared(t) => t.len() + 2 + 64,
            Boundary::Known { line, .. } => line.len() + 64,
        };
        let line = match self.next_line(limit) {
            Line::Partial => return (State::Delimiter, Step::NeedMore),
            // Not a delimiter line; search from the second byte so that parsing moves on.
            Line::TooLong => return self.garbage(1),
            Line::Whole(line, raw_len) => (line, raw_len),
        };
        let (line, raw_len) = line;
        let trimmed = line.trim_ascii_end();
        if trimmed.is_empty() {
            return (State::Delimiter, Step::Continue);
        }
        match self.boundary.classify(trimmed) {
            Some(Delimiter::Open) => (
                State::Headers {
                    headers: Vec::new(),
                    size: 0,
                },
                Step::Continue,
            ),
            Some(Delimiter::Close) => (State::Done, Step::Continue),
            None if matches!(self.boundary, Boundary::Sniff) => {
                self.preamble_seen(raw_len, &line[..line.len().min(40)])
            }
            None => {
                self.skipped += raw_len as u64;
                self.garbage(0)
            }
        }
    }

    /// Counts preamble read while looking for the first `--` line. Bounded, so that a page
    /// that is not a stream at all gets a clear error instead of being read forever.
    fn preamble_seen(&mut self, len: usize, start: &[u8]) -> (State, Step) {
        self.preamble += len as u64;
        if self.preamble <= self.limits.max_header_size as u64 {
            return (State::Delimiter, Step::Continue);
        }
        let searched = std::mem::take(&mut self.preamble);
        let start = String::from_utf8_lossy(start).into_owned();
        (
            State::Delimiter,
            Step::Error(ParseError::NoBoundary { searched, start }),
        )
    }

    /// Starts skipping to the next delimiter. A preamble before the first part is legal and
    /// not reported.
    fn garbage(&mut self, from: usize) -> (State, Step) {
        let report = self.parts > 0;
        if matches!(self.boundary, Boundary::Sniff) {
            // Without a boundary there is nothing to resynchronise on: drop the over-long
            // line (or what there is of it) as preamble.
            let n = self
                .buf
                .find_byte(0, b'\n')
                .map_or(self.buf.len(), |nl| nl + 1);
            let mut start = vec![0; n.min(40)];
            self.buf.copy_to(0, &mut start);
            self.consume(n);
            return self.preamble_seen(n, &start);
        }
        (State::Resync { from, report }, Step::Continue)
    }

    fn step_resync(&mut self, from: usize, report: bool) -> (State, Step) {
        let Some(needle) = self.boundary.resync_needle() else {
            return (State::Delimiter, Step::Continue);
        };
        let finder = Finder::new(&needle);
        let mut search = from;
        loop {
            match self.buf.find(search, &finder) {
                Some(pos) => {
                    // Only a needle at the start of a line (or of the buffer, which follows a
                    // skipped line) counts.
                    let at_line_start = pos == 0 || self.buf.get(pos - 1) == Some(b'\n');
                    // A `----x` line also contains `--x` two bytes in. Its start must not lie
                    // before `from`: the search resumes at 1 exactly when the line at 0 was
                    // already rejected, and accepting it again would loop forever (found by
                    // the fuzzer).
                    let dashes_before = pos >= from + 2
                        && self.buf.get(pos - 1) == Some(b'-')
                        && self.buf.get(pos - 2) == Some(b'-')
                        && (pos == 2 || self.buf.get(pos - 3) == Some(b'\n'));
                    if !(at_line_start || dashes_before) {
                        search = pos + 1;
                        continue;
                    }
                    let start = if at_line_start { pos } else { pos - 2 };
                    self.skipped += start as u64;
                    self.consume(start);
                    let skipped = std::mem::take(&mut self.skipped);
                    if report && skipped > 0 {
                        let offset = self.offset;
                        return (
                            State::Delimiter,
                            Step::Error(ParseError::Resynced { skipped, offset }),
                        );
                    }
                    return (State::Delimiter, Step::Continue);
                }
                None => {
                    // Keep only what could be the start of a delimiter cut by the chunk edge
                    // (plus the line ending before it). After a drop, position 0 is mid-line,
                    // so the search resumes at 1.
                    let keep = needle.len() + 3;
                    let drop = self.buf.len().saturating_sub(keep);
                    self.skipped += drop as u64;
                    self.consume(drop);
                    let from = if drop > 0 { 1 } else { from };
                    return (State::Resync { from, report }, Step::NeedMore);
                }
            }
        }
    }

    fn step_headers(&mut self, mut headers: Vec<Header>, size: usize) -> (State, Step) {
        let limit = self.limits.max_header_size.saturating_sub(size);
        let line = match self.next_line(limit) {
            Line::Partial => return (State::Headers { headers, size }, Step::NeedMore),
            Line::TooLong => {
                let offset = self.offset - size as u64;
                let limit = self.limits.max_header_size;
                self.skipped = 0;
                return (
                    State::Resync {
                        from: 0,
                        report: false,
                    },
                    Step::Error(ParseError::HeadersTooLarge { offset, limit }),
                );
            }
            Line::Whole(line, raw_len) => {
                let size = size + raw_len;
                if !line.trim_ascii().is_empty() {
                    let trimmed = line.trim_ascii_end();
                    if headers.is_empty() {
                        // A repeated delimiter with no part between (some servers send one
                        // before the first frame and another with it).
                        match self.boundary.classify(trimmed) {
                            Some(Delimiter::Open) => {
                                return (State::Headers { headers, size: 0 }, Step::Continue);
                            }
                            Some(Delimiter::Close) => return (State::Done, Step::Continue),
                            None => {}
                        }
                    }
                    if let Some(colon) = memchr::memchr(b':', &line) {
                        let name = trim_bytes(line.slice(..colon));
                        let value = trim_bytes(line.slice(colon + 1..));
                        headers.push(Header { name, value });
                    }
                    // A line without a colon is not a header; it is ignored, as browsers do.
                    return (State::Headers { headers, size }, Step::Continue);
                }
                line
            }
        };
        debug_assert!(line.trim_ascii().is_empty());
        // End of the header block.
        let declared = find_header(&headers, "content-length")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(len) if len > self.limits.max_part_size as u64 => {
                let error = ParseError::PartTooLarge {
                    offset: self.offset,
                    declared: Some(len),
                    limit: self.limits.max_part_size,
                };
                self.skipped = 0;
                (
                    State::Resync {
                        from: 0,
                        report: false,
                    },
                    Step::Error(error),
                )
            }
            // Checked against max_part_size just above, so it fits in usize.
            Some(len) => (
                State::Body {
                    headers,
                    len: len as usize,
                },
                Step::Continue,
            ),
            None => (State::Scan { headers, from: 0 }, Step::Continue),
        }
    }

    fn step_scan(&mut self, headers: Vec<Header>, from: usize) -> (State, Step) {
        let Boundary::Known { line, finder } = &self.boundary else {
            // A part is only reached through a delimiter line, which settles the boundary.
            return (State::Delimiter, Step::Continue);
        };
        // A body may be empty, with the delimiter right after the blank line.
        let mut candidate = if from == 0 && self.buf_starts_with(line) {
            Some(0)
        } else {
            self.buf.find(from, finder).map(|nl| nl + 1)
        };
        while let Some(start) = candidate {
            // The delimiter must end there: line ending, padding, or `--` of a close line.
            match self.buf.get(start + line.len()) {
                None => {
                    let from = start.saturating_sub(1);
                    return (State::Scan { headers, from }, Step::NeedMore);
                }
                Some(b'\r' | b'\n' | b' ' | b'\t' | b'-') => {
                    let mut body_len = start.saturating_sub(1); // drop the '\n'
                    if body_len > 0 && self.buf.get(body_len - 1) == Some(b'\r') {
                        body_len -= 1;
                    }
                    if body_len > self.limits.max_part_size {
                        // The whole oversized body arrived before the check below saw it
                        // (one large chunk): refuse it all the same.
                        let error = ParseError::PartTooLarge {
                            offset: self.offset,
                            declared: None,
                            limit: self.limits.max_part_size,
                        };
                        self.consume(start);
                        return (State::Delimiter, Step::Error(error));
                    }
                    let body = self.take(body_len);
                    let eol = start - body_len;
                    self.consume(eol);
                    return (State::Delimiter, Step::Part(Part { headers, body }));
                }
                Some(_) => candidate = self.buf.find(start, finder).map(|nl| nl + 1),
            }
        }
        if self.buf.len() > self.limits.max_part_size {
            let error = ParseError::PartTooLarge {
                offset: self.offset,
                declared: None,
                limit: self.limits.max_part_size,
            };
            self.skipped = 0;
            let from = self.buf.len().saturating_sub(finder.needle().len());
            return (
                State::Resync {
                    from,
                    report: false,
                },
                Step::Error(error),
            );
        }
        let from = self.buf.len().saturating_sub(finder.needle().len());
        (State::Scan { headers, from }, Step::NeedMore)
    }

    fn buf_starts_with(&self, prefix: &[u8]) -> bool {
        let mut head = vec![0; prefix.len()];
        self.buf.copy_to(0, &mut head) == prefix.len() && head == prefix
    }
}

enum Line {
    /// A whole line without its line ending, and how many bytes it took with it.
    Whole(Bytes, usize),
    /// No line ending yet.
    Partial,
    /// No line ending within the limit.
    TooLong,
}

enum Step {
    Continue,
    NeedMore,
    Part(Part),
    Error(ParseError),
}

fn trim_bytes(b: Bytes) -> Bytes {
    let start = b.len() - b.trim_ascii_start().len();
    let end = b.trim_ascii_end().len();
    if start >= end {
        Bytes::new()
    } else {
        b.slice(start..end)
    }
}
