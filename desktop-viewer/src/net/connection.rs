//! Opening one HTTP connection to a stream: the client, the request with its credentials,
//! and the body handed to the parser. What a failure means is [`super::failure`]'s call.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use mjpeg_wire::multipart::{Limits, PartStream};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderName, WWW_AUTHENTICATE};

use super::failure::{self, StreamFailure};

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
        Ok(Err(e)) => return Err(failure::from_transport(&e, url, stall_timeout)),
        Err(_) => return Err(failure::no_answer(url, stall_timeout * 2)),
    };
    let header = |name: HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(CONTENT_TYPE);
    failure::check_answer(
        response.status(),
        content_type.as_deref(),
        header(WWW_AUTHENTICATE).as_deref(),
        sent_credentials,
        url,
    )?;

    let body: BodyStream = Box::pin(response.bytes_stream());
    Ok(Opened {
        parts: PartStream::with_limits(body, content_type.as_deref(), limits),
        content_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print_the_password() {
        let c = Credentials {
            user: "pi".into(),
            password: Some("hunter2".into()),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
