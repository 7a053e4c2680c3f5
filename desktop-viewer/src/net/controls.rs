//! The camera's live controls over HTTP (`/api/controls`, JSON as `mjpeg_wire::controls`
//! defines it): read them, change some, reset some. What each refusal means is said here,
//! in words for the panel.

use std::time::Duration;

use mjpeg_wire::controls::{Control, PATH, Refusal};
use reqwest::{StatusCode, Url};
use serde_json::{Map, Value};

use super::connection::Credentials;

/// Why the controls could not be read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlsError {
    /// The server could not be reached, or did not answer in time.
    #[error("cannot reach {0}")]
    Unreachable(String),
    /// The server has no controls API (another MJPEG server, or an older pi-server).
    #[error("this server has no live controls (pi-server has them at {PATH})")]
    NotSupported,
    /// A login is needed (or the one given was refused).
    #[error("the server wants a login to change its controls")]
    Unauthorized,
    /// Changing is not allowed here (no credentials configured and no `--open-controls`),
    /// or the camera refused the value; the server's own words.
    #[error("{0}")]
    Refused(String),
    /// An answer that is not what the API gives.
    #[error("unexpected answer from {PATH}: {0}")]
    BadAnswer(String),
}

/// The controls API on the server of `stream` (its scheme, host, port and credentials).
pub fn api_url(stream: &Url) -> Url {
    let mut url = stream.clone();
    url.set_path(PATH);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// `GET`: every control with its value.
pub async fn list(
    client: &reqwest::Client,
    api: &Url,
    credentials: Option<&Credentials>,
) -> Result<Vec<Control>, ControlsError> {
    send(client.get(api.clone()), api, credentials).await
}

/// `PUT` `changes` (`{"name": value}`, `null` resets): every control as now in force.
pub async fn change(
    client: &reqwest::Client,
    api: &Url,
    credentials: Option<&Credentials>,
    changes: Map<String, Value>,
) -> Result<Vec<Control>, ControlsError> {
    // reqwest's `json` feature would do this; one header and one serialization do not need it.
    let body = Value::Object(changes).to_string();
    let request = client
        .put(api.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    send(request, api, credentials).await
}

async fn send(
    mut request: reqwest::RequestBuilder,
    api: &Url,
    credentials: Option<&Credentials>,
) -> Result<Vec<Control>, ControlsError> {
    if let Some(c) = credentials.filter(|_| api.username().is_empty()) {
        request = request.basic_auth(&c.user, c.password.as_deref());
    }
    let unreachable = || ControlsError::Unreachable(super::host_port(api));
    let response = request
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|_| unreachable())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|_| unreachable())?;
    match status {
        s if s.is_success() => {
            serde_json::from_slice(&body).map_err(|e| ControlsError::BadAnswer(format!("{e}")))
        }
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => Err(ControlsError::NotSupported),
        StatusCode::UNAUTHORIZED => Err(ControlsError::Unauthorized),
        s => Err(match serde_json::from_slice::<Refusal>(&body) {
            Ok(refusal) => ControlsError::Refused(refusal.error),
            Err(_) => ControlsError::BadAnswer(format!("HTTP {s}")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_sits_beside_the_stream_with_its_credentials() {
        let stream = Url::parse("http://pi:pw@cam.local:8000/stream.mjpg?fps=5").unwrap();
        assert_eq!(
            api_url(&stream).as_str(),
            "http://pi:pw@cam.local:8000/api/controls"
        );
        let mjpg = Url::parse("http://cam:8080/?action=stream").unwrap();
        assert_eq!(api_url(&mjpg).as_str(), "http://cam:8080/api/controls");
    }
}
