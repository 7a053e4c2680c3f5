//! Opening one HTTP connection to a stream and classifying its answer and its failures.

use std::error::Error as StdError;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use mjpeg_wire::multipart::{Limits, PartStream};
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};

use super::error::StreamFailure;

/// The response body as reqwest streams it, boxed so the parser's type is nameable.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// HTTP basic-auth credentials given outside the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub user: String,
    /// Password, if any.
    pub password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    // Never print a password into a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Parses and checks a stream URL; a missing scheme means `http://`.
pub fn parse_url(url: &str) -> Result<Url, StreamFailure> {
    let trimmed = url.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let invalid = |reason: String| StreamFailure::InvalidUrl {
        url: url.to_string(),
        reason,
    };
    let parsed = Url::parse(&with_scheme).map_err(|e| invalid(e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => {
            return Err(invalid(format!(
                "unsupported scheme {other:?}; use http or https"
            )));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".into()));
    }
    Ok(parsed)
}

/// The HTTP client for streams: a per-read timeout (stall detection), never a whole-request
/// timeout, which would cut a healthy endless stream (reqwest's `timeout` runs until the
/// body ends).
///
/// HTTPS is checked against the system's roots, plus `extra_roots` (PEM certificates,
/// `--ca-cert`): a Pi's own CA, or the certificate of a server that signs its own.
pub fn build_client(
    stall_timeout: Duration,
    connect_timeout: Duration,
    extra_roots: &[u8],
) -> Result<reqwest::Client, reqwest::Error> {
    // ring, as pi-server uses: no C toolchain beyond the usual. Installing twice is a no-op
    // error, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder();
    if !extra_roots.is_empty() {
        builder = builder.tls_certs_merge(reqwest::Certificate::from_pem_bundle(extra_roots)?);
    }
    builder
        .read_timeout(stall_timeout)
        .connect_timeout(connect_timeout)
        // One stream per connection; a pooled idle connection to a restarted server would
        // only fail the next attempt.
        .pool_max_idle_per_host(0)
        .tcp_nodelay(true)
        .user_agent(concat!("desktop-viewer/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A connection whose answer looks like a stream.
pub struct Opened {
    /// The body, parsed into parts.
    pub parts: PartStream<BodyStream>,
    /// The response's Content-Type, for messages.
    pub content_type: Option<String>,
}

impl std::fmt::Debug for Opened {
    // The boxed body stream has no Debug of its own.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// Connects, checks the answer, and returns the body as a stream of parts.
pub async fn open(
    client: &reqwest::Client,
    url: &Url,
    credentials: Option<&Credentials>,
    limits: Limits,
    stall_timeout: Duration,
) -> Result<Opened, StreamFailure> {
    let mut request = client.get(url.clone());
    let url_has_credentials = !url.username().is_empty();
    if let Some(c) = credentials.filter(|_| !url_has_credentials) {
        request = request.basic_auth(&c.user, c.password.as_deref());
    }
    let sent_credentials = url_has_credentials || credentials.is_some();

    // The read timeout covers reads, but a server that accepts and never answers must not
    // hang the attempt either.
    let response = match tokio::time::timeout(stall_timeout * 2, request.send()).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Err(classify_transport(&e, url, stall_timeout)),
        Err(_) => {
            return Err(StreamFailure::NoAnswer {
                host: host_port(url),
                timeout: stall_timeout * 2,
            });
        }
    };

    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        if sent_credentials {
            return Err(StreamFailure::BadCredentials);
        }
        let realm = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(realm_of);
        return Err(StreamFailure::NeedsCredentials { realm });
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

    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let essence = content_type
        .as_deref()
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match essence.as_str() {
        "text/html" | "application/xhtml+xml" => {
            return Err(StreamFailure::WebPage {
                suggestion: with_stream_path(url),
            });
        }
        "image/jpeg" | "image/jpg" | "image/png" => {
            return Err(StreamFailure::SingleImage {
                suggestion: with_stream_path(url),
            });
        }
        // Anything else may still be a stream: ffmpeg answers application/octet-stream and
        // the parser learns the boundary from the body; if it is not one, the parser says
        // NoBoundary and the caller reports NotAStream.
        _ => {}
    }

    let body: BodyStream = Box::pin(response.bytes_stream());
    Ok(Opened {
        parts: PartStream::with_limits(body, content_type.as_deref(), limits),
        content_type,
    })
}

/// Turns a reqwest failure into what the user should hear.
pub fn classify_transport(
    err: &reqwest::Error,
    url: &Url,
    stall_timeout: Duration,
) -> StreamFailure {
    let io_kind = io_error_kind(err);
    if err.is_timeout() || io_kind == Some(io::ErrorKind::TimedOut) {
        if err.is_connect() {
            return StreamFailure::NoAnswer {
                host: host_port(url),
                timeout: stall_timeout,
            };
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

fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

/// The URL with its path replaced by `/stream.mjpg`, credentials removed (it is shown).
fn with_stream_path(url: &Url) -> String {
    let mut u = url.clone();
    u.set_path("/stream.mjpg");
    u.set_query(None);
    u.set_fragment(None);
    // Both setters only fail for URLs that cannot have credentials; ignoring is correct.
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
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

    #[test]
    fn urls_without_a_scheme_are_http() {
        let u = parse_url("pi.local:8000/stream.mjpg").unwrap();
        assert_eq!(u.as_str(), "http://pi.local:8000/stream.mjpg");
    }

    #[test]
    fn https_is_taken_and_nonsense_refused_with_a_reason() {
        assert_eq!(
            parse_url("https://cam/stream.mjpg").unwrap().scheme(),
            "https"
        );
        assert!(parse_url("http://").is_err());
        let e = parse_url("ftp://cam/x").unwrap_err();
        assert!(e.to_string().contains("use http or https"), "{e}");
    }

    #[test]
    fn the_suggested_url_has_no_credentials() {
        let u = parse_url("http://me:secret@cam:8000/index.html?x=1").unwrap();
        assert_eq!(with_stream_path(&u), "http://cam:8000/stream.mjpg");
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
    fn credentials_never_print_the_password() {
        let c = Credentials {
            user: "pi".into(),
            password: Some("hunter2".into()),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
