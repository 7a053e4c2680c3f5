//! The viewer window's state, and the one place that changes it: [`ViewerApp::ui_main`]
//! takes news from the [`Feed`], lets each part of the window draw itself (`*_ui`
//! functions in the sibling modules) and carries out the [`Action`]s they return. Uploads
//! happen at most once per UI frame, to one texture; nothing repaints while nothing
//! happens.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui::{self, Color32, ViewportCommand};

use super::action::Action;
use super::cameras::cameras_ui;
use super::feed::{Connector, Feed, pipeline_connector};
use super::keys::keys_ui;
use super::login::{self, Login, login_ui};
use super::overlay::OverlayData;
use super::picture::{PictureView, Screen, picture_ui};
use super::saving;
use super::status_bar::{StatusBar, status_bar_ui};
use super::title::window_title;
use super::toast::Toast;
use super::url_bar::url_bar_ui;
use crate::discover::CameraList;
use crate::net;
use crate::pipeline::{Frame, PipelineConfig};
use crate::record::RecordControl;
use crate::stats::{ConnState, StatsView};

/// While figures can change without a new frame (FPS decaying on a stall, the retry
/// countdown), redraw this often; no faster, so an idle viewer costs nothing.
const SLOW_REFRESH: Duration = Duration::from_millis(500);

/// What the window starts with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Pipeline settings, including the URL.
    pub config: PipelineConfig,
    /// Bandwidth target for the overlay.
    pub target_kbps: f64,
    /// Where snapshots and recordings go.
    pub output_dir: PathBuf,
    /// Connect when the window opens (tests say no: they feed state directly).
    pub connect: bool,
    /// The cameras on the network (browsed over mDNS; tests fill one by hand).
    pub cameras: CameraList,
}

/// Display toggles, one per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewOptions {
    /// S: the overlay.
    pub overlay: bool,
    /// 1: one image pixel per screen pixel instead of fit-to-window.
    pub actual_size: bool,
    /// F11: full screen (URL and status bars hidden).
    pub fullscreen: bool,
    /// L: the side panel of cameras on the network.
    pub cameras: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            overlay: true,
            actual_size: false,
            fullscreen: false,
            cameras: false,
        }
    }
}

/// The viewer window's state.
pub struct ViewerApp {
    options: AppOptions,
    connector: Connector,
    url_text: String,
    login: Login,
    feed: Option<Box<dyn Feed>>,
    recorder: RecordControl,
    /// The latest figures; tests set them directly.
    pub stats: StatsView,
    /// Display toggles.
    pub view: ViewOptions,
    /// The status-bar message, if any.
    pub toast: Option<Toast>,
    screen: Screen,
    started: bool,
    /// A frame handed in directly (tests, no pipeline), shown on the next UI frame.
    pending: Option<Frame>,
    /// The window title last sent.
    title: String,
}

impl std::fmt::Debug for ViewerApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewerApp")
            .field("url", &net::redacted_text(&self.url_text))
            .field("view", &self.view)
            .field("feed", &self.feed.as_ref().map(|f| net::redacted(f.url())))
            .finish_non_exhaustive()
    }
}

impl ViewerApp {
    /// A window for `options`, watching through a [`crate::pipeline::Pipeline`]; it
    /// connects on its first frame if `options.connect`.
    pub fn new(options: AppOptions) -> Self {
        Self::with_connector(options, pipeline_connector())
    }

    /// A window that starts each connection with `connector` (tests: a stand-in that
    /// needs no network).
    pub fn with_connector(options: AppOptions, connector: Connector) -> Self {
        ViewerApp {
            url_text: options.config.url.clone(),
            login: Login::default(),
            options,
            connector,
            feed: None,
            recorder: RecordControl::default(),
            stats: StatsView::default(),
            view: ViewOptions::default(),
            toast: None,
            screen: Screen::default(),
            started: false,
            pending: None,
            title: String::new(),
        }
    }

    /// The URL in the URL bar.
    pub fn url_text(&self) -> &str {
        &self.url_text
    }

    /// The recording switch (tests look at it).
    pub fn recorder(&self) -> &RecordControl {
        &self.recorder
    }

    /// (Re)connects to the URL in the URL bar, with the login row's credentials if a user
    /// name is typed there. A URL that cannot be used is refused here, with a message,
    /// before anything starts. The old feed is stopped on another thread: it may be
    /// waiting for a name lookup, and the window must not freeze.
    pub fn connect(&mut self, ctx: &egui::Context) {
        if let Some(old) = self.feed.take() {
            let _ = std::thread::Builder::new()
                .name("viewer-stop".into())
                .spawn(move || drop(old));
        }
        self.screen.restart_count();
        let mut config = self.options.config.clone();
        config.url = self.url_text.trim().to_string();
        if let Some(credentials) = self.login.credentials() {
            config.credentials = Some(credentials);
        }
        let started = net::parse_url(&config.url)
            .map_err(|e| e.to_string())
            .and_then(|_| {
                let repaint = ctx.clone();
                (self.connector)(
                    config,
                    self.recorder.clone(),
                    Box::new(move || repaint.request_repaint()),
                )
                .map_err(|e| e.to_string())
            });
        match started {
            Ok(feed) => {
                self.stats = feed.stats();
                self.feed = Some(feed);
            }
            Err(message) => {
                self.stats = StatsView {
                    state_text: message.clone(),
                    ..StatsView::default()
                };
                self.stats.totals.last_error = Some(message.clone());
                self.toast = Some(Toast::error(message));
            }
        }
    }

    /// Hands in a decoded frame, as the pipeline would; it is shown on the next UI frame.
    pub fn feed_frame(&mut self, frame: Frame) {
        self.pending = Some(frame);
    }

    /// P: the JPEG on screen, as received, to a timestamped file.
    pub fn snapshot(&mut self) {
        let said = saving::snapshot(&self.options.output_dir, self.screen.current());
        self.toast = Some(said);
    }

    /// R: start or stop writing the stream to a `.mjpg` file.
    pub fn toggle_recording(&mut self) {
        let said = saving::toggle_recording(&self.recorder, &self.options.output_dir);
        self.toast = Some(said);
    }

    /// Carries out what a key or a button asked for.
    fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Connect => self.connect(ctx),
            Action::Snapshot => self.snapshot(),
            Action::ToggleRecording => self.toggle_recording(),
            Action::ToggleOverlay => self.view.overlay = !self.view.overlay,
            Action::ToggleActualSize => self.view.actual_size = !self.view.actual_size,
            Action::SetFullscreen(on) => {
                self.view.fullscreen = on;
                ctx.send_viewport_cmd(ViewportCommand::Fullscreen(on));
            }
            Action::ToggleCameras => self.view.cameras = !self.view.cameras,
            Action::Watch(url) => {
                self.url_text = url;
                self.connect(ctx);
            }
        }
    }

    /// Takes news from the feed: at most one frame (the newest) and the figures.
    fn poll_feed(&mut self, ctx: &egui::Context) {
        let Some(feed) = &self.feed else {
            return;
        };
        let frame = feed.take_frame();
        self.stats = feed.stats();
        if let Some(frame) = frame {
            self.screen.show(ctx, frame);
        }
        if let Some(e) = self.recorder.take_error() {
            self.toast = Some(Toast::error(e));
        }
    }

    /// Sends the window title when it changes.
    fn update_title(&mut self, ctx: &egui::Context) {
        let title = window_title(self.feed.as_ref().map(|f| f.url()), &self.stats.state);
        if title != self.title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The whole window, drawn into `ui` (eframe's root `Ui`, or a test harness's).
    pub fn ui_main(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.started {
            self.started = true;
            if self.options.connect {
                self.connect(&ctx);
            }
        }
        self.poll_feed(&ctx);
        self.update_title(&ctx);
        if let Some(frame) = self.pending.take() {
            self.screen.show(&ctx, frame);
        }
        for action in keys_ui(&ctx, self.view.fullscreen) {
            self.apply(&ctx, action);
        }
        if self
            .toast
            .as_ref()
            .is_some_and(|t| t.expired(Instant::now()))
        {
            self.toast = None;
        }

        if !self.view.fullscreen {
            let recording = self.recorder.status().is_some();
            let asked = egui::Panel::top("url-bar")
                .frame(bar_frame())
                .show(ui, |ui| {
                    let asked = url_bar_ui(
                        ui,
                        &mut self.url_text,
                        &self.stats.state,
                        recording,
                        self.view.cameras,
                    );
                    let signed_in = login::wanted(&self.stats.state)
                        .then(|| login_ui(ui, &mut self.login))
                        .flatten();
                    asked.or(signed_in)
                })
                .inner;
            if let Some(action) = asked {
                self.apply(&ctx, action);
            }
            let recording = self.recorder.status();
            let bar = StatusBar {
                recording: recording.as_ref(),
                toast: self.toast.as_ref(),
                stats: &self.stats,
                overlay: self.view.overlay,
                frame_size: self.screen.current().map(|c| c.info.size),
            };
            egui::Panel::bottom("status-bar")
                .frame(bar_frame())
                .show(ui, |ui| status_bar_ui(ui, &bar));
        }
        let cameras = self.options.cameras.cameras();
        if self.view.cameras && !self.view.fullscreen {
            let playing = self.url_text.trim().to_string();
            let picked = egui::Panel::left("cameras")
                .frame(bar_frame())
                .default_size(260.0)
                .show(ui, |ui| {
                    ui.heading("Cameras");
                    ui.add_space(6.0);
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| cameras_ui(ui, &cameras, Some(&playing)))
                        .inner
                })
                .inner;
            if let Some(action) = picked {
                self.apply(&ctx, action);
            }
        }
        let now = Instant::now();
        let displayed_fps = self.screen.displayed_fps(now);
        let view = PictureView {
            stats: &self.stats,
            overlay: self.view.overlay.then(|| OverlayData {
                stats: &self.stats,
                displayed_fps,
                target_kbps: self.options.target_kbps,
                shown: self.screen.current().map(|c| c.info),
                now,
            }),
            actual_size: self.view.actual_size,
            url_text: &self.url_text,
            start_cameras: if self.view.cameras { &[] } else { &cameras },
        };
        let picked = egui::CentralPanel::no_frame()
            .frame(egui::Frame::new().fill(Color32::from_gray(12)))
            .show(ui, |ui| picture_ui(ui, &self.screen, &view))
            .inner;
        if let Some(action) = picked {
            self.apply(&ctx, action);
        }

        self.schedule_repaint(&ctx);
    }

    /// Figures that change without a frame (FPS decaying on a stall, the retry countdown,
    /// toast expiry) need an occasional redraw. While frames flow they wake the UI
    /// themselves, so this timer only runs when nothing else would.
    fn schedule_repaint(&self, ctx: &egui::Context) {
        let streaming = self.stats.state == ConnState::Streaming;
        let frames_flowing = streaming
            && self
                .stats
                .last_frame_received
                .is_some_and(|t| t.elapsed() < SLOW_REFRESH);
        let recording = self.recorder.status().is_some();
        if !frames_flowing && (self.view.overlay || !streaming) || self.toast.is_some() || recording
        {
            ctx.request_repaint_after(SLOW_REFRESH);
        }
    }
}

/// The URL and status bars' background.
fn bar_frame() -> egui::Frame {
    egui::Frame::new()
        .fill(Color32::from_gray(28))
        .inner_margin(egui::Margin::symmetric(10, 6))
}

impl eframe::App for ViewerApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_main(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // A recording in progress is closed properly, not cut.
        if let Some(Err(e)) = self.recorder.stop() {
            tracing::warn!(cause = %e, "finishing the recording failed");
        }
    }
}
