//! What every failure means, decided in this one place: for the user (a message they can
//! act on, a short kind, whether a login would help) and for the connection (end it and
//! reconnect after a backoff, or count the damage and read on).
//!
//! Three kinds of trouble reach it: the HTTP answer ([`check_answer`]), the transport
//! ([`from_transport`], reqwest's errors) and the body ([`from_stream_error`], the
//! multipart parser's errors).

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use mjpeg_wire::multipart::{ParseError, StreamError};
use reqwest::{StatusCode, Url};

use super::url::{InvalidUrl, host_port, with_stream_path};

/// Why a connection attempt failed or a stream ended. Every variant leads to a reconnect
/// after a backoff; the message is what the viewer shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamFailure {
    /// The URL cannot be used at all.
    #[error(transparent)]
    InvalidUrl(#[from] InvalidUrl),
    /// Nothing listens on that port (the server is down or restarting).
    #[error("connection refused by {0} (is the server running?)")]
    Refused(String),
    /// Any other failure to connect: name resolution, unreachable network.
    #[error("cannot connect to {host}: {reason}")]
    Connect {
        /// Host and port.
        host: String,
        /// The system's reason.
        reason: String,
    },
    /// HTTPS: the server's certificate is not trusted (or not for this name).
    #[error(
        "cannot trust the certificate of {host}: {reason}; if the server signs its own, \
         pass the certificate that signed it with --ca-cert FILE"
    )]
    Certificate {
        /// Host and port.
        host: String,
        /// What rustls said.
        reason: String,
    },
    /// No answer at all within the timeout.
    #[error("no answer from {host} within {timeout:.1?}")]
    NoAnswer {
        /// Host and port.
        host: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// The stream stopped delivering bytes.
    #[error("stream stalled: no data for {0:.1?}")]
    Stalled(Duration),
    /// The connection broke (reset, closed mid-part).
    #[error("connection lost: {0}")]
    Lost(String),
    /// The server ended the stream cleanly.
    #[error("the server ended the stream")]
    Ended,
    /// HTTP 401 and no credentials were sent.
    #[error(
        "the server asks for a user name and password (HTTP 401{}); enter them, or put them in \
         the URL: http://user:password@host/...",
        realm.as_ref().map(|r| format!(", realm \"{r}\"")).unwrap_or_default()
    )]
    NeedsCredentials {
        /// The realm from `WWW-Authenticate`, if any.
        realm: Option<String>,
    },
    /// HTTP 401 although credentials were sent.
    #[error("the server refused the user name or password (HTTP 401)")]
    BadCredentials,
    /// An HTML page where a stream was expected (a camera's index page, say).
    #[error("this is a web page, not a stream; try /stream.mjpg ({suggestion})")]
    WebPage {
        /// The URL with the path replaced by `/stream.mjpg`.
        suggestion: String,
    },
    /// A single JPEG (a snapshot URL) where a stream was expected.
    #[error("this URL serves a single picture, not a stream; try /stream.mjpg ({suggestion})")]
    SingleImage {
        /// The URL with the path replaced by `/stream.mjpg`.
        suggestion: String,
    },
    /// A response that is not a multipart stream.
    #[error("not an MJPEG stream (Content-Type: {content_type}): {detail}")]
    NotAStream {
        /// The response's content type.
        content_type: String,
        /// What the parser saw.
        detail: String,
    },
    /// An HTTP status other than 200 and 401.
    #[error("HTTP {status} {reason}{hint}")]
    Http {
        /// The status code.
        status: u16,
        /// Its canonical reason phrase.
        reason: String,
        /// A suggestion, for 404.
        hint: String,
    },
    /// A server answered, but neither the URL, nor its page's links, nor the known servers'
    /// paths gave a stream.
    #[error("no MJPEG stream found at {host}; tried {}", tried.join(", "))]
    NoStreamFound {
        /// Host and port.
        host: String,
        /// Each path tried, with what it was instead.
        tried: Vec<String>,
    },
    /// A part larger than the limit: the connection is ended so the server starts afresh.
    #[error("frame too large, reconnecting: {0}")]
    FrameTooLarge(ParseError),
}

impl StreamFailure {
    /// A short word for the state line ("refused", "stalled", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            StreamFailure::InvalidUrl(_) => "invalid URL",
            StreamFailure::Refused(_) => "refused",
            StreamFailure::Connect { .. } => "unreachable",
            StreamFailure::Certificate { .. } => "untrusted certificate",
            StreamFailure::NoAnswer { .. } => "no answer",
            StreamFailure::Stalled(_) => "stalled",
            StreamFailure::Lost(_) => "connection lost",
            StreamFailure::Ended => "ended",
            StreamFailure::NeedsCredentials { .. } => "needs credentials",
            StreamFailure::BadCredentials => "wrong credentials",
            StreamFailure::WebPage { .. } | StreamFailure::SingleImage { .. } => "wrong URL",
            StreamFailure::NoStreamFound { .. } => "no stream found",
            StreamFailure::NotAStream { .. } => "not a stream",
            StreamFailure::Http { .. } => "HTTP error",
            StreamFailure::FrameTooLarge(_) => "frame too large",
        }
    }

    /// Whether credentials would help: the UI then offers fields for them.
    pub fn wants_credentials(&self) -> bool {
        matches!(
            self,
            StreamFailure::NeedsCredentials { .. } | StreamFailure::BadCredentials
        )
    }
}

/// What an error met while reading the body means for the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Damage the parser stepped over (garbage between parts, oversized headers): count it
    /// as corrupt and read on.
    Skip(ParseError),
    /// The connection is over: say why, then reconnect after a backoff.
    End(StreamFailure),
}

/// How an answer without a stream in it fails, before any body is read: 401 (asking for a
/// login, or refusing the one sent), other non-2xx statuses (404 with a hint), a web page
/// or a single picture where a stream was expected. `Ok` for anything that may be a
/// stream: ffmpeg answers `application/octet-stream` and the parser learns the boundary
/// from the body; if there is none, [`from_stream_error`] says `NotAStream`.
pub fn check_answer(
    status: StatusCode,
    content_type: Option<&str>,
    www_authenticate: Option<&str>,
    sent_credentials: bool,
    url: &Url,
) -> Result<(), StreamFailure> {
    if status == StatusCode::UNAUTHORIZED {
        if sent_credentials {
            return Err(StreamFailure::BadCredentials);
        }
        return Err(StreamFailure::NeedsCredentials {
            realm: www_authenticate.and_then(realm_of),
        });
    }
    if !status.is_success() {
        let hint = if status == StatusCode::NOT_FOUND && url.path() != "/stream.mjpg" {
            format!("; try {}", with_stream_path(url))
        } else {
            String::new()
        };
        return Err(StreamFailure::Http {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            hint,
        });
    }
    let essence = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match essence.as_str() {
        "text/html" | "application/xhtml+xml" => Err(StreamFailure::WebPage {
            suggestion: with_stream_path(url),
        }),
        "image/jpeg" | "image/jpg" | "image/png" => Err(StreamFailure::SingleImage {
            suggestion: with_stream_path(url),
        }),
        _ => Ok(()),
    }
}

/// No answer at all within `timeout` (a server that accepts and never answers).
pub fn no_answer(url: &Url, timeout: Duration) -> StreamFailure {
    StreamFailure::NoAnswer {
        host: host_port(url),
        timeout,
    }
}

/// The HTTP client could not be built (a `--ca-cert` reqwest cannot use, say): nothing
/// to retry, the pipeline stops there.
pub fn no_client(url: &Url, err: &reqwest::Error) -> StreamFailure {
    StreamFailure::Connect {
        host: host_port(url),
        reason: format!("cannot create the HTTP client: {err}"),
    }
}

/// Turns a reqwest failure (connecting, sending, or reading the body) into what the user
/// should hear.
pub fn from_transport(err: &reqwest::Error, url: &Url, stall_timeout: Duration) -> StreamFailure {
    let io_kind = io_error_kind(err);
    if err.is_timeout() || io_kind == Some(io::ErrorKind::TimedOut) {
        if err.is_connect() {
            return no_answer(url, stall_timeout);
        }
        return StreamFailure::Stalled(stall_timeout);
    }
    if err.is_connect() {
        if io_kind == Some(io::ErrorKind::ConnectionRefused) {
            return StreamFailure::Refused(host_port(url));
        }
        let reason = innermost(err);
        // rustls says "invalid peer certificate: UnknownIssuer" and the like.
        if reason.contains("certificate") {
            return StreamFailure::Certificate {
                host: host_port(url),
                reason,
            };
        }
        return StreamFailure::Connect {
            host: host_port(url),
            reason,
        };
    }
    match io_kind {
        Some(io::ErrorKind::ConnectionReset) => {
            StreamFailure::Lost("connection reset by the server".into())
        }
        Some(io::ErrorKind::UnexpectedEof) => {
            StreamFailure::Lost("connection closed in the middle of a frame".into())
        }
        _ => StreamFailure::Lost(innermost(err)),
    }
}

/// What an error from the body's part stream means. `content_type` is the answer's, for
/// the message when the body turns out not to be a stream at all.
pub fn from_stream_error(
    err: StreamError<reqwest::Error>,
    content_type: &str,
    url: &Url,
    stall_timeout: Duration,
) -> Verdict {
    match err {
        StreamError::Transport(e) => Verdict::End(from_transport(&e, url, stall_timeout)),
        StreamError::Parse(e) => from_parse(e, content_type),
    }
}

/// The parser's errors: a part over the limit ends the connection so that the server
/// starts afresh; a body with no boundary is no stream; a cut part is a lost connection;
/// anything else the parser resynchronised after, and reading goes on.
fn from_parse(err: ParseError, content_type: &str) -> Verdict {
    match err {
        ParseError::PartTooLarge { .. } => Verdict::End(StreamFailure::FrameTooLarge(err)),
        ParseError::NoBoundary { .. } => Verdict::End(StreamFailure::NotAStream {
            content_type: content_type.to_string(),
            detail: err.to_string(),
        }),
        ParseError::Truncated { .. } => Verdict::End(StreamFailure::Lost(
            "the stream ended in the middle of a frame".into(),
        )),
        other => Verdict::Skip(other),
    }
}

/// The first `io::Error` in the chain of causes, if any.
fn io_error_kind(err: &(dyn StdError + 'static)) -> Option<io::ErrorKind> {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}

/// The last message in the chain of causes: reqwest's outer ones only say "error sending
/// request", the inner one says what happened.
fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// `Basic realm="Camera"` → `Camera`.
fn realm_of(www_authenticate: &str) -> Option<String> {
    let start = www_authenticate.find("realm=")? + "realm=".len();
    let rest = &www_authenticate[start..];
    let realm = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or_default(),
        None => rest.split([',', ' ']).next().unwrap_or_default(),
    };
    (!realm.is_empty()).then(|| realm.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn realms_quoted_or_not() {
        assert_eq!(
            realm_of(r#"Basic realm="Pi Camera""#).as_deref(),
            Some("Pi Camera")
        );
        assert_eq!(
            realm_of("Basic realm=cam, charset=UTF-8").as_deref(),
            Some("cam")
        );
        assert_eq!(realm_of("Basic"), None);
    }

    #[test]
    fn a_401_asks_for_a_login_unless_one_was_sent() {
        let u = url("http://cam:8000/stream.mjpg");
        let asked = check_answer(
            StatusCode::UNAUTHORIZED,
            None,
            Some(r#"Basic realm="Pi""#),
            false,
            &u,
        )
        .unwrap_err();
        assert_eq!(
            asked,
            StreamFailure::NeedsCredentials {
                realm: Some("Pi".into())
            }
        );
        assert!(asked.wants_credentials());
        let refused = check_answer(StatusCode::UNAUTHORIZED, None, None, true, &u).unwrap_err();
        assert_eq!(refused, StreamFailure::BadCredentials);
        assert!(refused.wants_credentials());
    }

    #[test]
    fn a_404_off_the_stream_path_suggests_it() {
        let u = url("http://me:pw@cam:8000/video?x=1");
        let e = check_answer(StatusCode::NOT_FOUND, None, None, false, &u).unwrap_err();
        assert_eq!(
            e.to_string(),
            "HTTP 404 Not Found; try http://cam:8000/stream.mjpg"
        );
    }

    #[test]
    fn pages_and_pictures_are_not_streams_but_unknown_types_may_be() {
        let u = url("http://cam:8000/");
        let page = check_answer(
            StatusCode::OK,
            Some("text/html; charset=utf-8"),
            None,
            false,
            &u,
        );
        assert_eq!(page.unwrap_err().kind(), "wrong URL");
        let jpeg = check_answer(StatusCode::OK, Some("image/jpeg"), None, false, &u);
        assert!(matches!(jpeg, Err(StreamFailure::SingleImage { .. })));
        let ffmpeg = check_answer(
            StatusCode::OK,
            Some("application/octet-stream"),
            None,
            false,
            &u,
        );
        assert_eq!(ffmpeg, Ok(()));
    }

    #[test]
    fn the_parser_errors_that_end_a_connection_and_those_that_do_not() {
        let too_large = ParseError::PartTooLarge {
            offset: 0,
            declared: None,
            limit: 10,
        };
        assert!(matches!(
            from_parse(too_large, "multipart/x-mixed-replace"),
            Verdict::End(StreamFailure::FrameTooLarge(_))
        ));
        let no_boundary = ParseError::NoBoundary {
            searched: 4096,
            start: "hello".into(),
        };
        match from_parse(no_boundary, "text/plain") {
            Verdict::End(f @ StreamFailure::NotAStream { .. }) => {
                assert!(f.to_string().contains("Content-Type: text/plain"), "{f}");
            }
            other => panic!("{other:?}"),
        }
        let garbage = ParseError::Resynced {
            skipped: 7,
            offset: 100,
        };
        assert_eq!(from_parse(garbage.clone(), "x"), Verdict::Skip(garbage));
    }
}
