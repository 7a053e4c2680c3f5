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
/// `mdns_names`: look up `.local` names over multicast DNS when the system cannot.
pub fn build_client(
    stall_timeout: Duration,
    connect_timeout: Duration,
    extra_roots: &[u8],
    mdns_names: bool,
) -> Result<reqwest::Client, reqwest::Error> {
    // ring, as pi-server uses: no C toolchain beyond the usual. Installing twice is a no-op
    // error, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder();
    if !extra_roots.is_empty() {
        builder = builder.tls_certs_merge(reqwest::Certificate::from_pem_bundle(extra_roots)?);
    }
    if mdns_names {
        // `.local` names work even where the system knows nothing of multicast DNS.
        builder = builder.dns_resolver(super::resolve::LocalAware);
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
    let answer = request(client, url, credentials, stall_timeout).await?;
    answer.check(url)?;
    Ok(answer.into_stream(limits))
}

/// An HTTP answer whose body has not been read.
pub(super) struct Answer {
    pub(super) response: reqwest::Response,
    sent_credentials: bool,
}

impl Answer {
    fn header(&self, name: HeaderName) -> Option<String> {
        self.response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// `Ok` when the answer may be a stream; else what it is instead ([`failure::check_answer`]).
    pub(super) fn check(&self, url: &Url) -> Result<(), StreamFailure> {
        failure::check_answer(
            self.response.status(),
            self.header(CONTENT_TYPE).as_deref(),
            self.header(WWW_AUTHENTICATE).as_deref(),
            self.sent_credentials,
            url,
        )
    }

    /// The body, parsed into parts.
    pub(super) fn into_stream(self, limits: Limits) -> Opened {
        let content_type = self.header(CONTENT_TYPE);
        let body: BodyStream = Box::pin(self.response.bytes_stream());
        Opened {
            parts: PartStream::with_limits(body, content_type.as_deref(), limits),
            content_type,
        }
    }
}

/// Sends the GET, with the credentials unless the URL carries its own, and waits for the
/// answer's head.
pub(super) async fn request(
    client: &reqwest::Client,
    url: &Url,
    credentials: Option<&Credentials>,
    stall_timeout: Duration,
) -> Result<Answer, StreamFailure> {
    let mut request = client.get(url.clone());
    let url_has_credentials = !url.username().is_empty();
    if let Some(c) = credentials.filter(|_| !url_has_credentials) {
        request = request.basic_auth(&c.user, c.password.as_deref());
    }
    let sent_credentials = url_has_credentials || credentials.is_some();

    // The read timeout covers reads, but a server that accepts and never answers must not
    // hang the attempt either.
    match tokio::time::timeout(stall_timeout * 2, request.send()).await {
        Ok(Ok(response)) => Ok(Answer {
            response,
            sent_credentials,
        }),
        Ok(Err(e)) => Err(failure::from_transport(&e, url, stall_timeout)),
        Err(_) => Err(failure::no_answer(url, stall_timeout * 2)),
    }
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
