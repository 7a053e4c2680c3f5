//! The window with the real pipeline (no stand-in), against the replay server: an address
//! typed the way people type it plays, and one with no stream behind it gets a message
//! that names what was tried.

use std::time::{Duration, Instant};

use desktop_viewer::pipeline::PipelineConfig;
use desktop_viewer::ui::{AppOptions, ViewerApp, pipeline_connector};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::replay::{Behavior, ReplayServer};
use crate::ui::{START_URL, harness, shows, type_url};

fn real_app(output_dir: &std::path::Path) -> ViewerApp {
    let mut options = AppOptions::new(PipelineConfig::new(START_URL), output_dir.to_path_buf());
    options.connect = false;
    ViewerApp::with_connector(options, pipeline_connector())
}

/// Steps the UI until `text` shows; a minute is only a guard against a hang.
fn step_until_shown(h: &mut Harness<'_, ViewerApp>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.query_all_by_label_contains(text).next().is_none() {
        assert!(Instant::now() < deadline, "{text:?} never showed");
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_address_typed_as_people_type_it_plays() {
    let server = ReplayServer::start(vec![Behavior::Site {
        stream_path: "/?action=stream",
    }]);
    let dir = tempfile::tempdir().unwrap();
    for typed in [
        server.addr().to_string(),
        format!("http://{}/", server.addr()),
    ] {
        let mut h = harness(real_app(dir.path()));
        h.run_steps(1);
        type_url(&mut h, &typed);
        step_until_shown(&mut h, "LIVE");
        assert_eq!(h.state().url_text(), typed, "what was typed stays as typed");
    }
}

#[test]
fn an_address_with_no_stream_behind_it_names_what_was_tried() {
    let server = ReplayServer::start(vec![Behavior::Html]);
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(real_app(dir.path()));
    h.run_steps(1);
    type_url(&mut h, &server.addr().to_string());
    step_until_shown(&mut h, "no MJPEG stream found");
    shows(&h, "tried / (a web page), /stream.mjpg");
    shows(&h, "/?action=stream");
}
