//! The viewer's controls panel (C) against the real pi-server: a control changed in the
//! panel reaches the server, the panel shows the value the server read back, and the
//! picture shows the effect on the same connection.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use desktop_viewer::pipeline::PipelineConfig;
use desktop_viewer::stats::ConnState;
use desktop_viewer::ui::{AppOptions, ViewerApp};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::controls;
use crate::support::{PATIENCE, Server};

/// The server's own view of one control's value, from `GET /api/controls`.
fn server_value(addr: SocketAddr, name: &str) -> serde_json::Value {
    controls::get(addr).value(name)
}

/// Steps the window until `done`; the deadline is only a guard against a hang.
fn step_until(
    h: &mut Harness<'_, ViewerApp>,
    what: &str,
    done: impl Fn(&Harness<'_, ViewerApp>) -> bool,
) {
    let deadline = Instant::now() + PATIENCE;
    while !done(h) {
        assert!(Instant::now() < deadline, "never: {what}");
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_control_changed_in_the_viewers_panel_is_the_servers_and_the_picture_follows() {
    let server = Server::start(&[
        "--source",
        "test",
        "--size",
        "320x240",
        "--fps",
        "15",
        "--open-controls",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let options = AppOptions::new(
        PipelineConfig::new(&server.url("/stream.mjpg")),
        dir.path().to_path_buf(),
    );
    let mut h = Harness::builder()
        .with_size([1024.0, 720.0])
        .build_ui_state(
            |ui, app: &mut ViewerApp| app.ui_main(ui),
            ViewerApp::new(options),
        );
    step_until(&mut h, "the stream playing", |h| {
        h.state().tiles()[0].stats.state == ConnState::Streaming
    });

    h.key_press(Key::C);
    step_until(&mut h, "the panel listing the server's controls", |h| {
        h.query_by_label("Rotation").is_some()
    });
    // A switch: the server's value, then the one set from the panel.
    assert_eq!(server_value(server.addr, "hflip"), false);
    h.get_by_label("Mirror left-right").click();
    step_until(&mut h, "the server mirroring", |_| {
        server_value(server.addr, "hflip") == true
    });

    // A menu: rotation 90, and the picture turns on the same connection (240x320 frames).
    // The menu shows its value; its choices are labels once it is open.
    h.get_by_value("0°").click();
    h.run_steps(2);
    h.get_by_label("90°").click();
    step_until(&mut h, "the server rotating", |_| {
        server_value(server.addr, "rotation") == 90
    });
    step_until(&mut h, "the panel showing the server's 90°", |h| {
        h.query_by_value("90°").is_some()
    });
    step_until(&mut h, "frames of the turned size", |h| {
        h.state().tiles()[0].stats.totals.resolution == Some([240, 320])
    });
    assert_eq!(
        h.state().tiles()[0].stats.totals.reconnects,
        0,
        "same connection"
    );
}

/// pi-server turns frames it passes through by an EXIF mark, not by re-encoding them; the
/// viewer turns them as browsers do.
#[test]
fn a_passed_through_stream_turned_by_the_server_is_turned_in_the_viewer() {
    let server = Server::start(&["--source", controls::RECORDING, "--open-controls"]);
    let turned = controls::put(server.addr, r#"{"rotation": 90}"#, &[]);
    assert_eq!(turned.status, 200, "{}", turned.body);
    let out = crate::support::viewer(&server.url("/stream.mjpg"), 2.0);
    let s = crate::support::summary(&out);
    // The recording is 320x240.
    assert_eq!(s["resolution"], serde_json::json!([240, 320]), "{s}");
    assert_eq!(s["corrupt"], 0, "{s}");
}
