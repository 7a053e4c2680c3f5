//! `http://HOST:PORT/PATH`: relays another MJPEG server's stream (ours, mjpg-streamer,
//! ustreamer, ffmpeg's, the picamera recipe), so that a Pi serves one connection and a
//! bigger machine serves the crowd.
//!
//! Frames pass through untouched (apart from the standard Huffman tables, which every
//! source gets where a frame has none). The upstream is opened only while someone watches
//! (the publisher's linger included) and closed after, so a relay nobody watches costs the
//! Pi nothing. While the upstream is away, clients get the no-signal card once a second and
//! the relay reconnects with back-off. Credentials in the URL (`http://user:pw@pi:8000/...`)
//! go upstream as Basic authentication and are never logged.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::rt::TokioIo;
use mjpeg_wire::multipart::PartStream;

use super::error::SourceError;
use super::frame_source::{FrameSource, Running};
use super::no_signal::NoSignal;
use super::spec::without_password;
use crate::publish::{Publisher, SourceState};
use crate::shutdown::Shutdown;

/// How long connecting, and then each read, may take before the upstream counts as gone.
const STALL: Duration = Duration::from_secs(5);
/// Waits between attempts: doubling from the first to the last.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the no-signal card is sent while the upstream is away.
const CARD_EVERY: Duration = Duration::from_secs(1);

/// Another server's stream, relayed.
#[derive(Debug)]
pub struct RelaySource {
    host: String,
    port: u16,
    path: String,
    /// `Basic ...`, from the URL's user and password.
    authorization: Option<String>,
    /// The size the no-signal card is drawn at (`--size`).
    card_size: (u32, u32),
}

impl RelaySource {
    /// Reads the upstream URL; only `http://` (a relay sits on the LAN beside its camera).
    pub fn new(url: &str, card_size: (u32, u32)) -> Result<Self, SourceError> {
        let bad = |why: &str| SourceError::BadUrl {
            url: without_password(url),
            why: why.to_string(),
        };
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("only http:// upstreams can be relayed"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| bad("the port is not a number"))?,
            ),
            _ => (host_port, 80),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let authorization = userinfo.map(|u| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(u.as_bytes())
            )
        });
        Ok(RelaySource {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            path: path.to_string(),
            authorization,
            card_size,
        })
    }

    fn url(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}{}", self.host, self.port, self.path)
        } else {
            format!("http://{}:{}{}", self.host, self.port, self.path)
        }
    }
}

impl FrameSource for RelaySource {
    fn describe(&self) -> String {
        format!("relay of {}", self.url())
    }

    fn start(
        self: Box<Self>,
        publisher: Publisher,
        shutdown: Shutdown,
    ) -> Result<Running, SourceError> {
        Ok(Running::Task(tokio::spawn(relay(
            *self, publisher, shutdown,
        ))))
    }
}

/// How one connection to the upstream ended.
#[derive(Debug)]
enum Ended {
    Shutdown,
    /// Nobody watched any more: the upstream was closed on purpose.
    Unwatched,
    /// The upstream failed or went away: why.
    Failed(String),
}

/// Connects while someone watches, relays, and on failure shows the card (once a second,
/// as a camera's) and retries.
async fn relay(source: RelaySource, publisher: Publisher, mut shutdown: Shutdown) {
    let mut card = NoSignal::new(source.url(), source.card_size);
    let mut backoff = FIRST_BACKOFF;
    let mut lost_since: Option<SystemTime> = None;
    loop {
        tokio::select! {
            _ = shutdown.wait() => return,
            () = publisher.viewer() => {}
        }
        let (ended, went_live) =
            session(&source, &publisher, &mut shutdown, lost_since.is_some()).await;
        if went_live {
            // A working session starts the count again: the next loss retries at once.
            lost_since = None;
            backoff = FIRST_BACKOFF;
        }
        let reason = match ended {
            Ended::Shutdown => return,
            Ended::Unwatched => {
                tracing::debug!("nobody watches: upstream closed");
                backoff = FIRST_BACKOFF;
                continue;
            }
            Ended::Failed(reason) => reason,
        };
        if lost_since.is_none() {
            tracing::warn!(upstream = %source.url(), cause = %reason, "upstream lost; retrying");
        } else {
            tracing::debug!(cause = %reason, retry_in = ?backoff, "upstream still away");
        }
        let since = *lost_since.get_or_insert_with(SystemTime::now);
        publisher.set_state(SourceState::NoSignal(reason.clone()));
        card.reason = reason;
        let retry_at = tokio::time::Instant::now() + backoff;
        loop {
            card.publish(&publisher, since);
            let next = (tokio::time::Instant::now() + CARD_EVERY).min(retry_at);
            tokio::select! {
                _ = shutdown.wait() => return,
                () = tokio::time::sleep_until(next) => {}
            }
            if next >= retry_at {
                break;
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection: request, then every part published, until it fails, nobody watches or
/// the server stops. Says how it ended, and whether any frame came (`lost`: the upstream
/// was away before, so its return is worth a line in the log).
async fn session(
    source: &RelaySource,
    publisher: &Publisher,
    shutdown: &mut Shutdown,
    lost: bool,
) -> (Ended, bool) {
    let failed = |why: String| (Ended::Failed(why), false);
    let connect = tokio::net::TcpStream::connect((source.host.as_str(), source.port));
    let stream = match tokio::time::timeout(STALL, connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return failed(format!("cannot connect: {e}")),
        Err(_) => return failed(format!("no answer within {STALL:?}")),
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(pair) => pair,
        Err(e) => return failed(format!("HTTP: {e}")),
    };
    // Drives the connection; it ends when the response body is dropped.
    let driver = tokio::spawn(conn);
    let mut request = http::Request::get(source.path.as_str())
        .header(
            http::header::HOST,
            format!("{}:{}", source.host, source.port),
        )
        .header(
            http::header::USER_AGENT,
            concat!("pi-server/", env!("CARGO_PKG_VERSION"), " (relay)"),
        );
    if let Some(auth) = &source.authorization {
        request = request.header(http::header::AUTHORIZATION, auth.as_str());
    }
    let request = match request.body(Empty::<Bytes>::new()) {
        Ok(r) => r,
        Err(e) => return failed(format!("bad request: {e}")),
    };
    let mut went_live = false;
    let ended = relay_response(
        sender.send_request(request),
        publisher,
        shutdown,
        lost,
        &mut went_live,
    )
    .await;
    driver.abort();
    (ended, went_live)
}

async fn relay_response(
    response: impl std::future::Future<
        Output = Result<http::Response<hyper::body::Incoming>, hyper::Error>,
    >,
    publisher: &Publisher,
    shutdown: &mut Shutdown,
    lost: bool,
    live: &mut bool,
) -> Ended {
    let response = match tokio::time::timeout(STALL, response).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Ended::Failed(format!("HTTP: {e}")),
        Err(_) => return Ended::Failed(format!("no answer within {STALL:?}")),
    };
    let status = response.status();
    if !status.is_success() {
        let hint = if status == http::StatusCode::UNAUTHORIZED {
            " (put the upstream's user and password in the URL: http://user:password@host/...)"
        } else {
            ""
        };
        return Ended::Failed(format!("upstream answered HTTP {status}{hint}"));
    }
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.into_body().into_data_stream();
    let mut parts = PartStream::new(body, content_type.as_deref());
    loop {
        let next = tokio::select! {
            _ = shutdown.wait() => return Ended::Shutdown,
            next = tokio::time::timeout(STALL, parts.next()) => next,
        };
        let part = match next {
            Err(_) => return Ended::Failed(format!("stalled: no data for {STALL:?}")),
            Ok(None) => return Ended::Failed("the upstream ended the stream".into()),
            Ok(Some(Err(e))) => {
                // Damage the parser stepped over costs one frame; the rest ends the session.
                let message = e.to_string();
                if matches!(e, mjpeg_wire::multipart::StreamError::Transport(_)) {
                    return Ended::Failed(message);
                }
                tracing::debug!(cause = %message, "damaged part skipped");
                continue;
            }
            Ok(Some(Ok(part))) => part,
        };
        if part.body().is_empty() {
            // The picamera recipe opens with an empty part.
            continue;
        }
        if !*live {
            *live = true;
            publisher.set_state(SourceState::Live);
            if lost {
                tracing::info!("upstream back");
            }
        }
        if !publisher.admit() {
            continue;
        }
        let captured = part.timestamp().unwrap_or_else(SystemTime::now);
        if let Err(e) = publisher.publish_jpeg(part.into_body(), captured) {
            tracing::debug!(cause = %e, "upstream part without a JPEG dropped");
        }
        if !publisher.is_watched() {
            return Ended::Unwatched;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_path_and_credentials_that_are_never_shown() {
        let r =
            RelaySource::new("http://pi:secret@cam.local:8080/?action=stream", (640, 480)).unwrap();
        assert_eq!((r.host.as_str(), r.port), ("cam.local", 8080));
        assert_eq!(r.path, "/?action=stream");
        assert_eq!(r.authorization.as_deref(), Some("Basic cGk6c2VjcmV0"));
        assert!(!r.describe().contains("secret"), "{}", r.describe());
        let plain = RelaySource::new("http://10.0.0.2", (640, 480)).unwrap();
        assert_eq!((plain.port, plain.path.as_str()), (80, "/"));
        let v6 = RelaySource::new("http://[fd00::2]:8000/stream.mjpg", (640, 480)).unwrap();
        assert_eq!(v6.url(), "http://[fd00::2]:8000/stream.mjpg");
    }

    #[test]
    fn what_cannot_be_relayed_is_refused_with_a_reason() {
        let e = RelaySource::new("https://me:pw@cam/", (640, 480)).unwrap_err();
        assert!(e.to_string().contains("only http://"), "{e}");
        assert!(!e.to_string().contains("pw"), "{e}");
        assert!(RelaySource::new("http://cam:x/", (640, 480)).is_err());
    }
}
