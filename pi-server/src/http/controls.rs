//! `/api/controls` and `/api/controls/reset`: reading and changing the live controls, and
//! who may change them.
//!
//! Reads follow the stream's access rules. A write must pass, in this order: credentials
//! when access is configured (401), writes enabled at all (`--auth`/`--token-file`, or
//! `--open-controls`: 403), the request's `Origin`, if any, being this server's own (403),
//! and a JSON content type (415). The last two keep other sites out: a page elsewhere
//! can make a browser send a form or a "simple" request with the user's credentials, but
//! not one with `Content-Type: application/json` unless a CORS preflight allows it, and
//! this server allows none.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use mjpeg_wire::controls::Refusal;

use super::routes::{json, unauthorized};
use super::state::{AppState, Body};
use crate::controls::ControlError;

/// Largest request body: a change of every control is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

/// The paths this module answers.
pub fn is_controls_path(path: &str) -> bool {
    matches!(path, "/api/controls" | "/api/controls/reset")
}

/// Answers a request to `/api/controls` or `/api/controls/reset`.
pub async fn answer<B>(req: Request<B>, state: &AppState) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let access = &state.settings.access;
    if !access.allows(req.headers(), req.uri().query()) {
        return unauthorized(access.wants_basic());
    }
    let reset = req.uri().path() == "/api/controls/reset";
    match (req.method(), reset) {
        (&Method::GET | &Method::HEAD, false) => {
            // Off the runtime: a reading waits while a camera applies a change.
            let controls = state.controls.clone();
            return match tokio::task::spawn_blocking(move || controls.list()).await {
                Ok(list) => json(&list),
                Err(e) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("the controls could not be read: {e}"),
                    None,
                ),
            };
        }
        (&Method::PUT | &Method::POST, _) => {}
        _ => {
            let allow = if reset {
                "POST"
            } else {
                "GET, HEAD, PUT, POST"
            };
            let mut r = error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("use {allow}"),
                None,
            );
            if let Ok(v) = HeaderValue::from_str(allow) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            return r;
        }
    }
    if let Err((status, why)) = may_write(req.headers(), state) {
        return error(status, why, None);
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body could not be read whole (at most {MAX_BODY} bytes): {e}"),
                None,
            );
        }
    };
    // A camera's controls are set by its capture thread, which this waits for.
    let controls = state.controls.clone();
    let result = tokio::task::spawn_blocking(move || {
        if reset {
            controls.reset_json(&body)
        } else {
            controls.set_json(&body)
        }
    })
    .await;
    match result {
        Ok(Ok(list)) => json(&list),
        Ok(Err(e)) => refused(&e),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the change failed: {e}"),
            None,
        ),
    }
}

/// Whether a write may go ahead; otherwise the status and reason of its refusal.
fn may_write(headers: &HeaderMap, state: &AppState) -> Result<(), (StatusCode, &'static str)> {
    if state.settings.access.is_open() && !state.settings.open_controls {
        return Err((
            StatusCode::FORBIDDEN,
            "controls are read-only without a login: configure --auth or --token-file, or \
             start pi-server with --open-controls on a trusted network",
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let scheme = if state.settings.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let own = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|host| format!("{scheme}://{host}"));
        if origin.to_str().ok().map(str::to_string) != own {
            return Err((
                StatusCode::FORBIDDEN,
                "a page of another origin may not change the controls",
            ));
        }
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the changes as Content-Type: application/json",
        ));
    }
    Ok(())
}

/// A refused change: its status and a JSON body naming the control.
fn refused(e: &ControlError) -> Response<Body> {
    error(e.status(), &e.to_string(), e.control())
}

/// `{"error": MESSAGE, "control": NAME}` (the wire format's [`Refusal`]) with `status`.
fn error(status: StatusCode, message: &str, control: Option<&str>) -> Response<Body> {
    let refusal = Refusal {
        error: message.to_string(),
        control: control.map(str::to_string),
    };
    // A struct of two strings always serializes.
    let body = serde_json::to_string(&refusal).unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(body)).boxed_unsync());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
