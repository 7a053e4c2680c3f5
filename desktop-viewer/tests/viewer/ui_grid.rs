//! Several cameras in one window: a grid of tiles, each with its own connection and a
//! compact overlay; a click or a number key shows one alone with the full overlay, Esc (or
//! Grid) goes back; G changes the layout; the set, layout and focus are remembered; a
//! tile whose server dies says so while the others keep streaming.

use std::path::Path;
use std::time::{Duration, Instant};

use desktop_viewer::pipeline::PipelineConfig;
use desktop_viewer::stats::ConnState;
use desktop_viewer::ui::format::grouped;
use desktop_viewer::ui::{AppOptions, GridLayout, Remembered, ViewerApp, pipeline_connector};
use eframe::egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::replay::{Behavior, ReplayServer, SEED_RECIPE};
use crate::ui::{FakeNet, START_URL, harness, shows, streaming, two_cameras, type_url};

/// Four cameras that are never contacted (the fake network answers for them).
const CAMERAS: [&str; 4] = [
    "http://door.invalid:8000/stream.mjpg",
    "http://garden.invalid:8000/stream.mjpg",
    "http://printer.invalid:8000/stream.mjpg",
    "http://hall.invalid:8000/stream.mjpg",
];

fn options(output_dir: &Path, urls: &[&str]) -> AppOptions {
    let mut options = AppOptions::new(PipelineConfig::new(START_URL), output_dir.to_path_buf());
    options.urls = urls.iter().map(|u| u.to_string()).collect();
    options
}

fn grid_on(net: &FakeNet, options: AppOptions) -> Harness<'static, ViewerApp> {
    *net.stats.lock().unwrap() = streaming();
    let mut h = harness(ViewerApp::with_connector(options, net.connector()));
    h.run_steps(2);
    h
}

#[test]
fn four_cameras_share_the_window_each_with_its_own_connection() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let h = grid_on(&net, options(dir.path(), &CAMERAS));
    let started: Vec<String> = net.started().into_iter().map(|c| c.url).collect();
    assert_eq!(started, CAMERAS);
    assert_eq!(h.state().focused(), None, "the grid, not one camera");
    for (i, host) in ["door", "garden", "printer", "hall"].iter().enumerate() {
        shows(&h, &format!("{}  {host}.invalid:8000", i + 1));
    }
    // Each tile's figures, and all of them in the status bar.
    shows(&h, "24.9 fps");
    shows(&h, "4 of 4 cameras live");
    shows(&h, &format!("{} kbit/s in all", grouped(4.0 * 3210.0)));
}

#[test]
fn a_click_or_a_number_shows_one_camera_and_escape_or_grid_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let mut h = grid_on(&net, options(dir.path(), &CAMERAS));

    h.get_by_label_contains("3  printer.invalid").click();
    h.run_steps(2);
    assert_eq!(h.state().focused(), Some(2));
    assert_eq!(
        h.state().url_text(),
        CAMERAS[2],
        "the URL bar is that camera's"
    );
    // The full overlay, which the grid's tiles do not have.
    shows(&h, "bandwidth");
    assert!(h.query_by_label_contains("1  door.invalid").is_none());

    h.key_press(Key::Escape);
    h.run_steps(2);
    assert_eq!(h.state().focused(), None);
    shows(&h, "1  door.invalid:8000");

    h.key_press(Key::Num4);
    h.run_steps(2);
    assert_eq!(h.state().focused(), Some(3));
    h.get_by_label("Grid").click();
    h.run_steps(2);
    assert_eq!(h.state().focused(), None);
    assert_eq!(net.started().len(), 4, "focusing reconnects nothing");
}

#[test]
fn in_the_grid_the_url_bar_adds_a_camera_and_a_tile_can_be_closed() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let mut h = grid_on(&net, options(dir.path(), &CAMERAS[..2]));
    type_url(&mut h, "shed.invalid:8000");
    assert_eq!(h.state().tiles().len(), 3);
    assert_eq!(net.started().last().unwrap().url, "shed.invalid:8000");
    shows(&h, "3  shed.invalid:8000");

    // The close button shows on the tile under the pointer.
    h.get_by_label_contains("1  door.invalid").hover();
    h.run_steps(2);
    h.get_by_label("×").click();
    h.run_steps(2);
    let left: Vec<&str> = h
        .state()
        .tiles()
        .iter()
        .map(|t| t.url_text.as_str())
        .collect();
    assert_eq!(left, [CAMERAS[1], "shed.invalid:8000"]);
}

#[test]
fn the_plus_beside_a_listed_camera_adds_it_beside_the_one_watched() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let mut one = options(dir.path(), &CAMERAS[..1]);
    one.cameras = two_cameras();
    let mut h = grid_on(&net, one);
    h.key_press(Key::L);
    h.run_steps(2);
    // The list's rows, by name: Door, then Printer; each has its "+".
    let plus: Vec<_> = h.query_all_by_label("+").collect();
    assert_eq!(plus.len(), 2);
    plus[0].click();
    h.run_steps(2);
    let watched: Vec<&str> = h
        .state()
        .tiles()
        .iter()
        .map(|t| t.url_text.as_str())
        .collect();
    assert_eq!(watched, [CAMERAS[0], "http://10.77.0.3:8000/stream.mjpg"]);
    assert_eq!(h.state().focused(), None, "two cameras: the grid");
    shows(&h, "2  Door");
}

#[test]
fn the_cameras_layout_and_focus_come_back_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("cameras.json");
    let net = FakeNet::default();
    let mut first = options(dir.path(), &CAMERAS[..3]);
    first.remember = Some(kept.clone());
    let mut h = grid_on(&net, first);
    h.key_press(Key::G);
    h.run_steps(1);
    assert_eq!(h.state().layout(), GridLayout::Columns(1));
    h.key_press(Key::Num2);
    h.run_steps(1);
    drop(h);

    // What run_window does when started with no URL.
    let remembered = Remembered::load(&kept).unwrap();
    assert_eq!(remembered.cameras, CAMERAS[..3]);
    let mut next = options(dir.path(), &[]);
    next.urls = remembered.cameras;
    next.layout = remembered.layout;
    next.focus = remembered.focus;
    let h = grid_on(&net, next);
    assert_eq!(h.state().tiles().len(), 3);
    assert_eq!(h.state().layout(), GridLayout::Columns(1));
    assert_eq!(h.state().focused(), Some(1));
}

/// Real servers and real pipelines: the third server goes away; its tile says so and keeps
/// retrying, and the other three keep receiving frames.
#[test]
fn a_tile_whose_server_dies_says_so_while_the_others_keep_streaming() {
    let live = || Behavior::Live {
        name: SEED_RECIPE,
        fps: 24,
    };
    let mut servers: Vec<Option<ReplayServer>> = (0..4)
        .map(|_| Some(ReplayServer::start(vec![live(), live(), live()])))
        .collect();
    let urls: Vec<String> = servers.iter().flatten().map(ReplayServer::url).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path(), &[]);
    options.urls = urls;
    let mut h = harness(ViewerApp::with_connector(options, pipeline_connector()));
    let frames = |h: &Harness<'_, ViewerApp>| -> Vec<u64> {
        h.state()
            .tiles()
            .iter()
            .map(|t| t.stats.totals.frames)
            .collect()
    };
    step_until(&mut h, "every tile streaming", |app| {
        app.tiles()
            .iter()
            .all(|t| t.stats.state == ConnState::Streaming)
    });

    if let Some(server) = servers[2].take() {
        server.shutdown();
    }
    step_until(&mut h, "the third tile offline", |app| {
        matches!(app.tiles()[2].stats.state, ConnState::Waiting { .. })
    });
    shows(&h, "OFFLINE");
    shows(&h, "retrying in");
    let before = frames(&h);
    step_until(&mut h, "ten more frames on each live tile", |app| {
        app.tiles()
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != 2)
            .all(|(i, t)| t.stats.totals.frames >= before[i] + 10)
    });
    for (i, tile) in h.state().tiles().iter().enumerate() {
        if i != 2 {
            assert_eq!(tile.stats.state, ConnState::Streaming, "tile {i}");
        }
    }
    assert_ne!(h.state().tiles()[2].stats.state, ConnState::Streaming);
}

/// Steps the UI (with the real pipelines running) until `done`; a minute is only a guard
/// against a hang.
fn step_until(h: &mut Harness<'_, ViewerApp>, what: &str, done: impl Fn(&ViewerApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "never: {what}");
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
}
