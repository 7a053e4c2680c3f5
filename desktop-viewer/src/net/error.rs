//! Why a connection to a stream failed or ended, in words a user can act on.

use std::time::Duration;

use mjpeg_wire::multipart::ParseError;

/// Why a connection attempt failed or a stream ended. Every variant leads to a reconnect
/// after a backoff; the message is what the viewer shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamFailure {
    /// The URL cannot be used at all.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as typed.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
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
    /// A part larger than the limit: the connection is ended so the server starts afresh.
    #[error("frame too large, reconnecting: {0}")]
    FrameTooLarge(ParseError),
}

impl StreamFailure {
    /// A short word for the state line ("refused", "stalled", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            StreamFailure::InvalidUrl { .. } => "invalid URL",
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
