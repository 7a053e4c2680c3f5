//! Routes: which path and method get which response.
//!
//! `/` and `/index.html` (page), `/stream.mjpg` and `/stream` (MJPEG), `/snapshot.jpg` and
//! `/snapshot`, `/stats` (JSON), `/api/cameras` (the other cameras on the LAN, JSON), `/healthz`, and mjpg-streamer's `/?action=stream` and
//! `/?action=snapshot`, which 3D-printer hosts and Home Assistant configs already use;
//! `/api/controls` is answered by `controls.rs`.
//! HEAD works on every one; other methods get 405, other paths 404, each with a short text.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};

use super::conn_watch::ConnWatch;
use super::state::{AppState, Body};
use super::stream;

/// The page at `/`: the live stream and a small stats panel, with no external assets.
const INDEX_HTML: &str = include_str!("index.html");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Index,
    Stream,
    Snapshot,
    Stats,
    Cameras,
    Health,
}

fn route(path: &str, query: Option<&str>) -> Option<Route> {
    match path {
        "/" => match query_value(query, "action") {
            Some("stream") => Some(Route::Stream),
            Some("snapshot") => Some(Route::Snapshot),
            _ => Some(Route::Index),
        },
        "/index.html" => Some(Route::Index),
        "/stream.mjpg" | "/stream" => Some(Route::Stream),
        "/snapshot.jpg" | "/snapshot" => Some(Route::Snapshot),
        "/stats" => Some(Route::Stats),
        "/api/cameras" => Some(Route::Cameras),
        "/healthz" => Some(Route::Health),
        _ => None,
    }
}

fn query_value<'q>(query: Option<&'q str>, key: &str) -> Option<&'q str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// `?key=N` as a finite number above zero: `Ok(None)` when absent, `Err` when not such a
/// number.
fn positive_number(query: Option<&str>, key: &str) -> Result<Option<f64>, ()> {
    match query_value(query, key) {
        None => Ok(None),
        Some(v) => match v.parse::<f64>() {
            Ok(n) if n > 0.0 && n.is_finite() => Ok(Some(n)),
            _ => Err(()),
        },
    }
}

/// Answers one request. Never fails: every problem is a response.
pub async fn handle<B>(
    req: Request<B>,
    state: Arc<AppState>,
    peer: SocketAddr,
    conn: Arc<ConnWatch>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut response = if super::controls::is_controls_path(req.uri().path()) {
        super::controls::answer(req, &state).await
    } else {
        respond(&req, &state, peer, conn).await
    };
    if let Some(origin) = &state.settings.allow_origin
        && let Ok(value) = HeaderValue::from_str(origin)
    {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    response
}

async fn respond<B>(
    req: &Request<B>,
    state: &Arc<AppState>,
    peer: SocketAddr,
    conn: Arc<ConnWatch>,
) -> Response<Body> {
    let Some(route) = route(req.uri().path(), req.uri().query()) else {
        return text(StatusCode::NOT_FOUND, "404 not found\n");
    };
    // Everything but the health check is for those who may watch.
    let access = &state.settings.access;
    if route != Route::Health && !access.allows(req.headers(), req.uri().query()) {
        // The path only: the query may hold a wrong token, and a log keeps no guesses.
        tracing::debug!(%peer, path = req.uri().path(), "refused: no valid credentials");
        return unauthorized(access.wants_basic());
    }
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut r = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "405 method not allowed: use GET or HEAD\n",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
    };
    match route {
        Route::Index => with_type(
            Full::new(Bytes::from_static(INDEX_HTML.as_bytes())),
            "text/html; charset=utf-8",
        ),
        Route::Health => text(StatusCode::OK, "ok\n"),
        Route::Stats => json(&state.stats.report(&state.publisher, &state.source_name)),
        Route::Cameras => json(&cameras(state)),
        Route::Snapshot => snapshot(state).await,
        Route::Stream => stream_response(req, state, peer, conn, head),
    }
}

/// A JSON answer that no cache keeps.
pub(super) fn json(value: &impl serde::Serialize) -> Response<Body> {
    match serde_json::to_vec_pretty(value) {
        Ok(json) => no_cache(with_type(Full::new(Bytes::from(json)), "application/json")),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("500 cannot write JSON: {e}\n"),
        ),
    }
}

/// `/api/cameras`: the other cameras this server heard announce themselves, with the URLs
/// of their pages and streams, for the index page's list.
fn cameras(state: &AppState) -> serde_json::Value {
    let others = state
        .neighbours
        .as_ref()
        .map(|n| n.others())
        .unwrap_or_default();
    let list: Vec<_> = others.iter().map(|c| c.listing()).collect();
    serde_json::json!({ "discovery": state.neighbours.is_some(), "cameras": list })
}

fn stream_response<B>(
    req: &Request<B>,
    state: &Arc<AppState>,
    peer: SocketAddr,
    conn: Arc<ConnWatch>,
    head: bool,
) -> Response<Body> {
    let query = req.uri().query();
    let min_interval = match positive_number(query, "fps") {
        Ok(fps) => fps.and_then(|fps| Duration::try_from_secs_f64(1.0 / fps).ok()),
        Err(()) => {
            return text(
                StatusCode::BAD_REQUEST,
                "400 fps must be a positive number, e.g. ?fps=5\n",
            );
        }
    };
    let max_kbps = match positive_number(query, "kbps") {
        Ok(kbps) => kbps,
        Err(()) => {
            return text(
                StatusCode::BAD_REQUEST,
                "400 kbps must be a positive number of kbit/s, e.g. ?kbps=500\n",
            );
        }
    };
    let advance_headers = match query_value(req.uri().query(), "advance_headers") {
        Some("1" | "true") => true,
        Some("0" | "false") => false,
        Some(_) => {
            return text(
                StatusCode::BAD_REQUEST,
                "400 advance_headers must be 1 or 0\n",
            );
        }
        None => shows_images_itself(req.headers()),
    };
    if state.stats.client_count() >= state.settings.max_clients {
        tracing::warn!(%peer, max = state.settings.max_clients, "stream refused: too many clients");
        let mut r = text(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "503 too many clients (at most {}); try again later\n",
                state.settings.max_clients
            ),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return r;
    }
    let body = if head {
        Empty::new().boxed_unsync()
    } else {
        let path = req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_string(), ToString::to_string);
        let guard = state.stats.join(peer, super::auth::redact(&path));
        stream::body(
            state.broadcast.subscribe(),
            state.shutdown.clone(),
            state.broadcast.writer().clone(),
            guard,
            conn,
            stream::Options {
                min_interval,
                max_kbps,
                advance_headers,
            },
        )
    };
    let mut r = Response::new(body);
    // An HTTP/1.0 response: hyper then sends the body raw and ends it by closing the
    // connection, as the recipe, mjpg-streamer and ustreamer do. An HTTP/1.1 response of
    // unknown length would be chunked, and simple MJPEG readers (embedded boards, NVRs, a
    // script on a socket) read the chunk-size lines as garbage.
    *r.version_mut() = http::Version::HTTP_10;
    let h = r.headers_mut();
    // The recipe's headers: no cache anywhere along the way.
    h.insert(header::AGE, HeaderValue::from_static("0"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(ct) = HeaderValue::from_str(&state.broadcast.writer().content_type()) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    r
}

/// 401, offering Basic credentials when they are set up (a browser then asks for them).
pub(super) fn unauthorized(basic: bool) -> Response<Body> {
    let mut r = text(
        StatusCode::UNAUTHORIZED,
        if basic {
            "401 this camera asks for a user name and password\n"
        } else {
            "401 this camera asks for a token: add ?token=TOKEN to the URL\n"
        },
    );
    let challenge = if basic {
        r#"Basic realm="pi-server", charset="UTF-8""#
    } else {
        r#"Bearer realm="pi-server""#
    };
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    r
}

/// Whether the request comes from a browser that will show the stream as an image (an
/// `<img>`, or the stream opened as a page): such a browser shows a part only when the next
/// part's header block is complete, so it gets them ahead (`Writer::advance_head`).
/// Browsers say what a fetch is for in `Sec-Fetch-Dest`; players, scripts and a page's own
/// `fetch()` (`empty`) keep the ordinary parts with `Content-Length` and `X-Timestamp`.
fn shows_images_itself(headers: &http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|dest| {
            matches!(
                dest.trim().to_ascii_lowercase().as_str(),
                "image" | "document" | "iframe" | "frame" | "embed" | "object"
            )
        })
}

/// The newest frame, if fresh; otherwise the next one, waiting at most `snapshot_timeout`.
async fn snapshot(state: &Arc<AppState>) -> Response<Body> {
    // Subscribing counts as demand: an idle source wakes up for us.
    let mut rx = state.broadcast.subscribe();
    let current = rx.borrow_and_update().clone().filter(|f| f.is_fresh());
    let frame = match current {
        Some(f) => Some(f),
        None => {
            let wait = async {
                loop {
                    if rx.changed().await.is_err() {
                        return None;
                    }
                    if let Some(f) = rx.borrow_and_update().clone() {
                        return Some(f);
                    }
                }
            };
            tokio::time::timeout(state.settings.snapshot_timeout, wait)
                .await
                .ok()
                .flatten()
        }
    };
    match frame {
        Some(f) => no_cache(with_type(Full::new(f.jpeg.clone()), "image/jpeg")),
        None => {
            let mut r = text(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!(
                    "503 no frame from the source ({}) within {:?}\n",
                    state.source_name, state.settings.snapshot_timeout
                ),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
    }
}

fn with_type(body: Full<Bytes>, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(body.boxed_unsync());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn no_cache(mut r: Response<Body>) -> Response<Body> {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    r
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = with_type(
        Full::new(Bytes::copy_from_slice(body.as_bytes())),
        "text/plain; charset=utf-8",
    );
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_aliases() {
        assert_eq!(route("/", None), Some(Route::Index));
        assert_eq!(route("/stream", None), Some(Route::Stream));
        assert_eq!(route("/stream.mjpg", Some("fps=5")), Some(Route::Stream));
        assert_eq!(route("/", Some("action=stream")), Some(Route::Stream));
        assert_eq!(route("/", Some("action=snapshot")), Some(Route::Snapshot));
        assert_eq!(route("/snapshot", None), Some(Route::Snapshot));
        assert_eq!(route("/nope", None), None);
    }

    #[test]
    fn query_values() {
        assert_eq!(query_value(Some("a=1&fps=5"), "fps"), Some("5"));
        assert_eq!(query_value(Some("fps"), "fps"), Some(""));
        assert_eq!(query_value(Some("x=1"), "fps"), None);
        assert_eq!(query_value(None, "fps"), None);
    }
}
