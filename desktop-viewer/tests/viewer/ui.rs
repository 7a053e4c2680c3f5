//! The window's logic under egui_kittest, with no network: figures and frames are handed
//! to the app directly, as the pipeline would hand them, and connections go to a
//! [`FakeNet`] that only notes what the window asked for.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use desktop_viewer::decode::decode_rgba;
use desktop_viewer::discover::CameraList;
use desktop_viewer::net::{Credentials, StreamFailure, parse_url};
use desktop_viewer::pipeline::{Frame, PipelineConfig};
use desktop_viewer::stats::{ConnState, StatsView, Totals};
use desktop_viewer::ui::format::grouped;
use desktop_viewer::ui::{AppOptions, Connector, Feed, ViewerApp};
use eframe::egui::accesskit::Role;
use eframe::egui::{self, Key, Modifiers, ViewportCommand, ViewportId};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mjpeg_wire::multipart::Parser;

use crate::replay::{SEED_RECIPE, fixture};

/// Some texts appear twice on purpose (the state in the URL bar and in the overlay, a
/// failure in the picture area and in the status bar): at least one must be there.
pub fn shows(h: &Harness<'_, ViewerApp>, text: &str) {
    assert!(
        h.query_all_by_label_contains(text).next().is_some(),
        "nothing on screen contains {text:?}"
    );
}

/// The URL the window starts with; never contacted.
pub const START_URL: &str = "http://camera.invalid:8000/stream.mjpg";

/// A stand-in for the network: it keeps the settings of every connection the window
/// starts, and each of its feeds reports the figures the test puts in `stats`.
#[derive(Clone, Default)]
pub struct FakeNet {
    started: Arc<Mutex<Vec<PipelineConfig>>>,
    /// The figures every feed reports.
    pub stats: Arc<Mutex<StatsView>>,
}

struct FakeFeed {
    url: reqwest::Url,
    stats: Arc<Mutex<StatsView>>,
}

impl Feed for FakeFeed {
    fn url(&self) -> &reqwest::Url {
        &self.url
    }

    fn take_frame(&self) -> Option<Frame> {
        None
    }

    fn stats(&self) -> StatsView {
        self.stats.lock().unwrap().clone()
    }
}

impl FakeNet {
    /// Starts a [`FakeFeed`] for each connection asked for.
    pub fn connector(&self) -> Connector {
        let net = self.clone();
        Box::new(move |config, _recorder, _wake| {
            let url = parse_url(&config.url).unwrap();
            net.started.lock().unwrap().push(config);
            Ok(Box::new(FakeFeed {
                url,
                stats: net.stats.clone(),
            }) as Box<dyn Feed>)
        })
    }

    /// The settings of each connection started so far.
    pub fn started(&self) -> Vec<PipelineConfig> {
        self.started.lock().unwrap().clone()
    }
}

fn app_on(output_dir: &Path, net: &FakeNet) -> ViewerApp {
    app_with_cameras(output_dir, net, CameraList::by_hand())
}

fn app_with_cameras(output_dir: &Path, net: &FakeNet, cameras: CameraList) -> ViewerApp {
    let mut options = AppOptions::new(PipelineConfig::new(START_URL), output_dir.to_path_buf());
    // Tests connect by typing and clicking, or not at all.
    options.connect = false;
    options.cameras = cameras;
    ViewerApp::with_connector(options, net.connector())
}

fn app(output_dir: &Path) -> ViewerApp {
    app_on(output_dir, &FakeNet::default())
}

pub fn harness(app: ViewerApp) -> Harness<'static, ViewerApp> {
    Harness::builder()
        .with_size([1024.0, 720.0])
        .build_ui_state(|ui, app: &mut ViewerApp| app.ui_main(ui), app)
}

/// The first frame of the picamera capture, decoded as the pipeline would.
pub fn camera_frame() -> Frame {
    let (_, body) = fixture(SEED_RECIPE);
    let mut parser = Parser::new(Some("FRAME"));
    parser.push(body.into());
    let part = std::iter::from_fn(|| parser.next_part().unwrap())
        .find(|p| !p.body().is_empty())
        .unwrap();
    let jpeg = part.into_body();
    Frame {
        image: decode_rgba(&jpeg, Vec::new()).unwrap(),
        jpeg,
        seq: 1,
        received: Instant::now(),
        captured: Some(SystemTime::now() - Duration::from_millis(40)),
        decode_time: Duration::from_micros(2100),
    }
}

pub fn streaming() -> StatsView {
    StatsView {
        state: ConnState::Streaming,
        state_text: "streaming".into(),
        fps: 24.9,
        kbps: 3210.0,
        average_kbps: 3180.0,
        totals: Totals {
            frames: 500,
            decoded: 498,
            resolution: Some([640, 480]),
            decode_p99_ms: Some(3.4),
            dropped: 2,
            ..Totals::default()
        },
        history_kbps: (0..60).map(|i| 3000.0 + (i % 7) as f32 * 60.0).collect(),
        ..StatsView::default()
    }
}

fn down() -> StatsView {
    StatsView {
        state: ConnState::Waiting {
            failure: StreamFailure::Refused("camera.invalid:8000".into()),
            retry_at: Instant::now() + Duration::from_secs(2),
        },
        state_text: "connection refused".into(),
        totals: Totals {
            errors: 3,
            reconnects: 2,
            ..Totals::default()
        },
        ..StatsView::default()
    }
}

#[test]
fn the_overlay_shows_fps_and_bandwidth() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = streaming();
    h.state_mut().feed_frame(camera_frame());
    h.run_steps(2);
    // The received rate. ("displayed" is measured from the real frames drawn: one frame
    // over a ~40 ms span can read 24.9 fps too, so the label may appear twice.)
    assert!(h.get_all_by_label("24.9 fps").count() >= 1);
    h.get_by_label(&format!("{} kbit/s (1 s)", grouped(3210.0)));
    h.get_by_label(&format!("{} kbit/s since connect", grouped(3180.0)));
    h.get_by_label_contains("over target (321%)");
    h.get_by_label_contains("640×480");
    h.get_by_label_contains("since capture (X-Timestamp)");
    h.get_by_label("2 dropped · 0 corrupt");
    shows(&h, "LIVE");
}

#[test]
fn under_target_is_marked_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = StatsView {
        kbps: 640.0,
        ..streaming()
    };
    h.run_steps(2);
    h.get_by_label_contains("under target (64%)");
}

#[test]
fn the_error_state_shows_when_the_server_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = down();
    h.run_steps(2);
    shows(&h, "OFFLINE");
    shows(&h, "connection refused by camera.invalid:8000");
    shows(&h, "retrying in");
}

#[test]
fn the_last_frame_stays_visible_while_reconnecting() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = streaming();
    h.state_mut().feed_frame(camera_frame());
    h.run_steps(2);
    *h.state_mut().stats_mut() = down();
    h.run_steps(2);
    // The banner over the picture says what happened; the frame line is still there.
    h.get_by_label_contains(
        "connection refused by camera.invalid:8000 (is the server running?) — retrying in",
    );
    h.get_by_label_contains("640×480");
}

#[test]
fn a_web_page_says_which_url_to_try() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    let failure = StreamFailure::WebPage {
        suggestion: "http://camera.invalid:8000/stream.mjpg".into(),
    };
    *h.state_mut().stats_mut() = StatsView {
        state_text: failure.to_string(),
        state: ConnState::Waiting {
            failure,
            retry_at: Instant::now(),
        },
        ..StatsView::default()
    };
    h.run_steps(2);
    shows(&h, "this is a web page, not a stream; try /stream.mjpg");
}

#[test]
fn a_401_offers_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = StatsView {
        state: ConnState::Waiting {
            failure: StreamFailure::NeedsCredentials { realm: None },
            retry_at: Instant::now(),
        },
        ..StatsView::default()
    };
    h.run_steps(2);
    h.get_by_label("Sign in");
    h.get_by_label("Password");
}

#[test]
fn key_s_toggles_the_overlay() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = streaming();
    h.run_steps(2);
    h.get_by_label("24.9 fps");
    h.key_press(Key::S);
    h.run_steps(2);
    assert!(!h.state().view.overlay);
    assert!(h.query_by_label("24.9 fps").is_none(), "overlay hidden");
    shows(&h, "24.9 fps · ");
    // The essentials move to the status bar.
    h.key_press(Key::S);
    h.run_steps(2);
    h.get_by_label("24.9 fps");
}

#[test]
fn key_1_toggles_actual_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    h.state_mut().feed_frame(camera_frame());
    h.run_steps(2);
    assert!(h.query_by_label("1:1").is_none());
    h.key_press(Key::Num1);
    h.run_steps(2);
    assert!(h.state().view.actual_size);
    h.get_by_label("1:1");
    h.key_press(Key::Num1);
    h.run_steps(2);
    assert!(!h.state().view.actual_size);
}

#[test]
fn key_f11_goes_full_screen_and_hides_the_bars() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = streaming();
    h.run_steps(2);
    h.get_by_label("Connect");
    h.key_press(Key::F11);
    h.run_steps(2);
    assert!(h.state().view.fullscreen);
    assert!(h.query_by_label("Connect").is_none(), "URL bar hidden");
    h.get_by_label("24.9 fps");
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().view.fullscreen);
    h.get_by_label("Connect");
}

#[test]
fn key_p_saves_the_frame_as_received() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    let frame = camera_frame();
    let jpeg = frame.jpeg.clone();
    h.state_mut().feed_frame(frame);
    h.run_steps(2);
    h.key_press(Key::P);
    h.run_steps(2);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("snapshot-") && name.ends_with(".jpg"),
        "{name}"
    );
    assert_eq!(std::fs::read(&files[0]).unwrap(), jpeg, "not re-encoded");
    h.get_by_label_contains("Snapshot saved to");
}

#[test]
fn key_p_without_a_frame_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    h.run_steps(1);
    h.key_press(Key::P);
    h.run_steps(2);
    h.get_by_label("No frame to save yet");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn key_r_starts_and_stops_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    h.run_steps(1);
    h.key_press(Key::R);
    h.run_steps(2);
    let status = h.state().recorder().status().expect("recording");
    assert!(status.path.starts_with(dir.path()));
    h.get_by_label_contains("REC 00:00");
    h.key_press(Key::R);
    h.run_steps(2);
    assert!(h.state().recorder().status().is_none());
    h.get_by_label_contains("Recording saved to");
    let data = std::fs::read(&status.path).unwrap();
    assert_eq!(
        data, b"--FRAME\r\n",
        "an empty recording is a valid opening"
    );
}

#[test]
fn typing_a_url_does_not_trigger_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    *h.state_mut().stats_mut() = streaming();
    h.run_steps(2);
    h.get_by_role(egui::accesskit::Role::TextInput).click();
    h.run_steps(2);
    h.key_press(Key::S);
    h.run_steps(2);
    assert!(h.state().view.overlay, "S typed into the URL bar");
}

/// Replaces the URL in the URL bar as a user does: click, select all, type, Enter.
pub fn type_url(h: &mut Harness<'_, ViewerApp>, url: &str) {
    h.get_by_role(Role::TextInput).click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_role(Role::TextInput).type_text(url);
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(2);
}

#[test]
fn typing_a_url_and_enter_watches_that_url() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    *net.stats.lock().unwrap() = streaming();
    let mut h = harness(app_on(dir.path(), &net));
    h.run_steps(2);
    assert!(
        net.started().is_empty(),
        "nothing starts before it is asked"
    );
    shows(&h, "CONNECTING");

    type_url(&mut h, "pi.local:8000/stream.mjpg?fps=5");
    let started = net.started();
    assert_eq!(started.len(), 1, "one connection, to the typed URL");
    assert_eq!(started[0].url, "pi.local:8000/stream.mjpg?fps=5");
    assert_eq!(h.state().url_text(), "pi.local:8000/stream.mjpg?fps=5");
    // The window now shows what that connection reports.
    shows(&h, "LIVE");
    h.get_by_label("24.9 fps");

    type_url(&mut h, "http://other.invalid:8080/stream");
    let started = net.started();
    assert_eq!(started.len(), 2, "Enter again starts a new connection");
    assert_eq!(started[1].url, "http://other.invalid:8080/stream");
}

#[test]
fn a_url_that_cannot_be_used_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let mut h = harness(app_on(dir.path(), &net));
    h.run_steps(1);
    type_url(&mut h, "ftp://camera.invalid/stream.mjpg");
    assert!(net.started().is_empty(), "nothing was started for it");
    shows(&h, r#"invalid URL "ftp://camera.invalid/stream.mjpg""#);
    shows(&h, "use http or https");
    let toast = h.state().toast.clone().expect("a message");
    assert!(toast.is_error, "{toast:?}");
}

#[test]
fn the_login_row_appears_on_a_401_and_sign_in_sends_the_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let mut h = harness(app_on(dir.path(), &net));
    *h.state_mut().stats_mut() = streaming();
    h.run_steps(2);
    assert!(
        h.query_by_label("Sign in").is_none(),
        "no login while it plays"
    );

    for failure in [
        StreamFailure::NeedsCredentials { realm: None },
        StreamFailure::BadCredentials,
    ] {
        *h.state_mut().stats_mut() = StatsView {
            state: ConnState::Waiting {
                failure,
                retry_at: Instant::now(),
            },
            ..StatsView::default()
        };
        h.run_steps(2);
        h.get_by_label("Sign in");
    }

    h.get_by_role_and_label(Role::TextInput, "User").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "User")
        .type_text("pi");
    h.run_steps(1);
    h.get_by_role(Role::PasswordInput).click();
    h.run_steps(1);
    h.get_by_role(Role::PasswordInput).type_text("hunter2");
    h.run_steps(1);
    h.get_by_label("Sign in").click();
    h.run_steps(2);

    let started = net.started();
    assert_eq!(started.len(), 1, "Sign in connects again");
    assert_eq!(started[0].url, START_URL);
    assert_eq!(
        started[0].credentials,
        Some(Credentials {
            user: "pi".into(),
            password: Some("hunter2".into()),
        })
    );
}

/// The viewport commands the app sent in the last step.
fn fullscreen_requests(h: &Harness<'_, ViewerApp>) -> Vec<bool> {
    h.output().viewport_output[&ViewportId::ROOT]
        .commands
        .iter()
        .filter_map(|c| match c {
            ViewportCommand::Fullscreen(on) => Some(*on),
            _ => None,
        })
        .collect()
}

#[test]
fn key_f11_asks_the_window_system_for_full_screen_and_escape_leaves_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    h.run_steps(1);
    // One event per step, so the step that handles the key is the last one.
    h.key_down(Key::F11);
    h.step();
    assert_eq!(fullscreen_requests(&h), [true]);
    h.key_up(Key::F11);
    h.step();
    h.key_down(Key::Escape);
    h.step();
    assert_eq!(fullscreen_requests(&h), [false]);
    assert!(!h.state().view.fullscreen);
}

#[test]
fn the_buttons_do_what_p_and_r_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app(dir.path()));
    h.run_steps(1);
    h.get_by_label("Snapshot").click();
    h.run_steps(2);
    h.get_by_label("No frame to save yet");
    h.get_by_label("Record").click();
    h.run_steps(2);
    assert!(h.state().recorder().status().is_some(), "recording");
    h.get_by_label("Stop recording").click();
    h.run_steps(2);
    assert!(h.state().recorder().status().is_none());
    h.get_by_label_contains("Recording saved to");
}

/// Two cameras as they would be heard on the network.
pub fn two_cameras() -> CameraList {
    let list = CameraList::by_hand();
    for (name, host, ip, size) in [
        ("Printer", "pi-a.local.", "10.77.0.2", "640x480"),
        ("Door", "pi-b.local.", "10.77.0.3", "1280x720"),
    ] {
        let mut camera = mjpeg_wire::discovery::Advert::from_txt(
            name,
            host,
            8000,
            vec![ip.parse().unwrap()],
            [("size", size), ("fps", "24")],
        );
        camera.fullname = format!("{name}._http._tcp.local.");
        list.directory().record(camera);
    }
    list
}

#[test]
fn the_start_screen_offers_the_cameras_on_the_network_and_a_click_watches_one() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let mut h = harness(app_with_cameras(dir.path(), &net, two_cameras()));
    h.run_steps(2);
    shows(&h, "Cameras on this network");
    shows(&h, "pi-a.local · 640x480 @ 24 fps");
    shows(&h, "pi-b.local · 1280x720 @ 24 fps");
    h.get_by_label("Door").click();
    h.run_steps(2);
    let started = net.started();
    assert_eq!(started.len(), 1, "one connection, to the camera picked");
    assert_eq!(started[0].url, "http://10.77.0.3:8000/stream.mjpg");
    assert_eq!(h.state().url_text(), "http://10.77.0.3:8000/stream.mjpg");
}

#[test]
fn key_l_shows_the_cameras_as_they_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let net = FakeNet::default();
    let cameras = two_cameras();
    let mut h = harness(app_with_cameras(dir.path(), &net, cameras.clone()));
    *net.stats.lock().unwrap() = streaming();
    h.run_steps(1);
    h.key_press(Key::L);
    h.run_steps(2);
    assert!(h.state().view.cameras, "L opens the side panel");
    h.get_by_label("Printer");
    // The Door camera shuts down: its goodbye removes it from the list at once.
    cameras.directory().forget("Door._http._tcp.local.");
    h.run_steps(2);
    assert!(
        h.query_by_label("Door").is_none(),
        "a vanished camera is no longer listed"
    );
    h.get_by_label("Printer").click();
    h.run_steps(2);
    assert_eq!(net.started()[0].url, "http://10.77.0.2:8000/stream.mjpg");
    h.key_press(Key::L);
    h.run_steps(2);
    assert!(!h.state().view.cameras, "L again closes it");
}
