//! The window title: which camera, and whether it is live, readable from the task bar.

use reqwest::Url;

use super::overlay::state_badge;
use crate::net::host_port;
use crate::stats::ConnState;

/// "pi.local:8000 — LIVE — desktop-viewer"; just the program's name before any URL.
pub fn window_title(url: Option<&Url>, state: &ConnState) -> String {
    match url {
        Some(url) => {
            let (_, word) = state_badge(state);
            format!("{} — {word} — desktop-viewer", host_port(url))
        }
        None => "desktop-viewer".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_names_the_camera_and_its_state() {
        let url = Url::parse("http://pi:secret@pi.local:8000/stream.mjpg").unwrap();
        assert_eq!(
            window_title(Some(&url), &ConnState::Streaming),
            "pi.local:8000 — LIVE — desktop-viewer"
        );
        assert_eq!(window_title(None, &ConnState::Idle), "desktop-viewer");
    }
}
