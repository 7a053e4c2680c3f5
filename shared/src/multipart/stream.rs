//! From an HTTP body (a stream of `Bytes` chunks) to a stream of parts.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;

use super::boundary::boundary_from_content_type;
use super::error::ParseError;
use super::parser::{Limits, Parser};
use super::part::Part;

/// An error from a [`PartStream`]: either the transport failed or the bytes were wrong.
#[derive(Debug, thiserror::Error)]
pub enum StreamError<E> {
    /// The underlying body stream failed (connection reset, timeout, ...); the stream ends.
    #[error("reading the stream failed: {0}")]
    Transport(#[source] E),
    /// The body violated the format; see [`ParseError::is_recoverable`].
    #[error(transparent)]
    Parse(ParseError),
}

pin_project_lite::pin_project! {
    /// Parts parsed from a body stream, as reqwest's `Response::bytes_stream()` gives it.
    ///
    /// Recoverable parse errors are yielded as items and the stream goes on; a transport
    /// error or the end of the body ends it.
    #[derive(Debug)]
    pub struct PartStream<S> {
        #[pin]
        body: S,
        parser: Parser,
        body_done: bool,
    }
}

impl<S> PartStream<S> {
    /// Parses `body` given the response's Content-Type, which may declare the boundary
    /// or not (ffmpeg's server answers `application/octet-stream`).
    pub fn new(body: S, content_type: Option<&str>) -> Self {
        Self::with_limits(body, content_type, Limits::default())
    }

    /// As [`PartStream::new`], with explicit limits.
    pub fn with_limits(body: S, content_type: Option<&str>, limits: Limits) -> Self {
        let boundary = content_type.and_then(boundary_from_content_type);
        PartStream {
            body,
            parser: Parser::with_limits(boundary.as_deref(), limits),
            body_done: false,
        }
    }

    /// The parser, for its counters.
    pub fn parser(&self) -> &Parser {
        &self.parser
    }
}

impl<S, E> Stream for PartStream<S>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    type Item = Result<Part, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            match this.parser.next_part() {
                Ok(Some(part)) => return Poll::Ready(Some(Ok(part))),
                Err(e) => return Poll::Ready(Some(Err(StreamError::Parse(e)))),
                Ok(None) => {}
            }
            if *this.body_done {
                return Poll::Ready(None);
            }
            match ready!(this.body.as_mut().poll_next(cx)) {
                Some(Ok(chunk)) => this.parser.push(chunk),
                Some(Err(e)) => {
                    *this.body_done = true;
                    return Poll::Ready(Some(Err(StreamError::Transport(e))));
                }
                None => {
                    *this.body_done = true;
                    if let Err(e) = this.parser.finish() {
                        return Poll::Ready(Some(Err(StreamError::Parse(e))));
                    }
                }
            }
        }
    }
}
