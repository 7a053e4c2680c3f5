//! The viewer window: URL bar, picture, overlay, status bar, keys. It only draws state:
//! frames and figures come from the [`Pipeline`]'s workers, which wake it when there is
//! news; uploads happen at most once per UI frame, to one texture.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use eframe::egui::{
    self, Align, Color32, Key, Layout, Rect, RichText, TextureHandle, TextureOptions, Vec2,
    ViewportCommand,
};
use mjpeg_wire::meter::RateMeter;

use super::overlay::{self, OverlayData, ShownFrame};
use crate::net::{self, Credentials};
use crate::pipeline::{Frame, Pipeline, PipelineConfig};
use crate::record::{self, RecordControl};
use crate::stats::{ConnState, StatsView};

/// How the video texture is sampled: smooth when scaled.
const TEXTURE: TextureOptions = TextureOptions::LINEAR;
/// How long a message in the status bar stays.
const TOAST_FOR: Duration = Duration::from_secs(6);
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
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            overlay: true,
            actual_size: false,
            fullscreen: false,
        }
    }
}

/// A message in the status bar.
#[derive(Debug, Clone)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub is_error: bool,
    shown_at: Instant,
}

/// The frame on screen: its texture lives in `ViewerApp::texture`; this keeps its JPEG for
/// snapshots and its facts for the overlay.
#[derive(Debug, Clone)]
struct Current {
    jpeg: Bytes,
    info: ShownFrame,
}

/// The viewer window's state.
pub struct ViewerApp {
    options: AppOptions,
    url_text: String,
    user_text: String,
    password_text: String,
    pipeline: Option<Pipeline>,
    recorder: RecordControl,
    /// The latest figures; tests set them directly.
    pub stats: StatsView,
    /// Display toggles.
    pub view: ViewOptions,
    /// The status-bar message, if any.
    pub toast: Option<Toast>,
    texture: Option<TextureHandle>,
    current: Option<Current>,
    displayed: RateMeter,
    started: bool,
    /// A frame handed in directly (tests, no pipeline), shown on the next UI frame.
    pending: Option<Frame>,
    /// The window title last sent.
    title: String,
}

impl std::fmt::Debug for ViewerApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewerApp")
            .field("url", &self.url_text)
            .field("view", &self.view)
            .field("pipeline", &self.pipeline)
            .finish_non_exhaustive()
    }
}

impl ViewerApp {
    /// A window for `options`; it connects on its first frame if `options.connect`.
    pub fn new(options: AppOptions) -> Self {
        ViewerApp {
            url_text: options.config.url.clone(),
            user_text: String::new(),
            password_text: String::new(),
            options,
            pipeline: None,
            recorder: RecordControl::default(),
            stats: StatsView::default(),
            view: ViewOptions::default(),
            toast: None,
            texture: None,
            current: None,
            displayed: RateMeter::new(Duration::from_secs(1)),
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

    /// (Re)connects to the URL in the URL bar. The old pipeline is stopped on another
    /// thread: it may be waiting for a name lookup, and the window must not freeze.
    pub fn connect(&mut self, ctx: &egui::Context) {
        if let Some(old) = self.pipeline.take() {
            let _ = std::thread::Builder::new()
                .name("viewer-stop".into())
                .spawn(move || drop(old));
        }
        let mut config = self.options.config.clone();
        config.url = self.url_text.trim().to_string();
        if !self.user_text.is_empty() {
            config.credentials = Some(Credentials {
                user: self.user_text.clone(),
                password: (!self.password_text.is_empty()).then(|| self.password_text.clone()),
            });
        }
        let repaint = ctx.clone();
        match Pipeline::start_with(config, self.recorder.clone(), move || {
            repaint.request_repaint();
        }) {
            Ok(p) => {
                self.stats = p.stats();
                self.pipeline = Some(p);
            }
            Err(e) => {
                self.stats = StatsView {
                    state_text: e.to_string(),
                    ..StatsView::default()
                };
                self.stats.totals.last_error = Some(e.to_string());
                self.say(e.to_string(), true);
            }
        }
        self.displayed = RateMeter::new(Duration::from_secs(1));
    }

    fn say(&mut self, text: impl Into<String>, is_error: bool) {
        self.toast = Some(Toast {
            text: text.into(),
            is_error,
            shown_at: Instant::now(),
        });
    }

    /// Hands in a decoded frame, as the pipeline would; it is shown on the next UI frame.
    pub fn feed_frame(&mut self, frame: Frame) {
        self.pending = Some(frame);
    }

    /// Puts a decoded frame on screen: uploads it to the one video texture, in place when
    /// the size is unchanged (`set_partial` keeps the GPU texture; `set` would allocate a
    /// new one each frame).
    fn show_frame(&mut self, ctx: &egui::Context, frame: Frame) {
        let size = frame.image.size;
        let info = ShownFrame {
            size,
            bytes: frame.jpeg.len(),
            received: frame.received,
            captured: frame.captured,
            decode_time: frame.decode_time,
        };
        match &mut self.texture {
            Some(texture) if texture.size() == size => {
                texture.set_partial([0, 0], frame.image, TEXTURE);
            }
            Some(texture) => texture.set(frame.image, TEXTURE),
            None => self.texture = Some(ctx.load_texture("video", frame.image, TEXTURE)),
        }
        self.displayed.record(Instant::now(), info.bytes);
        self.current = Some(Current {
            jpeg: frame.jpeg,
            info,
        });
    }

    /// Pulls news from the pipeline: at most one frame (the newest) and the figures.
    fn poll_pipeline(&mut self, ctx: &egui::Context) {
        let Some(p) = &self.pipeline else {
            return;
        };
        let frame = p.take_frame();
        self.stats = p.stats();
        if let Some(frame) = frame {
            self.show_frame(ctx, frame);
        }
        if let Some(e) = self.recorder.take_error() {
            self.say(e, true);
        }
    }

    /// "pi.local:8000 — LIVE — desktop-viewer", sent only when it changes.
    fn update_title(&mut self, ctx: &egui::Context) {
        let host = self
            .pipeline
            .as_ref()
            .map(|p| net::host_port(p.url()))
            .unwrap_or_default();
        let (_, word) = overlay::state_badge(&self.stats.state);
        let title = if host.is_empty() {
            "desktop-viewer".to_string()
        } else {
            format!("{host} — {word} — desktop-viewer")
        };
        if title != self.title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        // Typing a URL must not toggle things.
        if ctx.text_edit_focused() {
            return;
        }
        let pressed = |key| ctx.input(|i| i.key_pressed(key));
        if pressed(Key::S) {
            self.view.overlay = !self.view.overlay;
        }
        if pressed(Key::Num1) {
            self.view.actual_size = !self.view.actual_size;
        }
        if pressed(Key::F11) {
            self.set_fullscreen(ctx, !self.view.fullscreen);
        }
        if pressed(Key::Escape) && self.view.fullscreen {
            self.set_fullscreen(ctx, false);
        }
        if pressed(Key::P) {
            self.snapshot();
        }
        if pressed(Key::R) {
            self.toggle_recording();
        }
    }

    fn set_fullscreen(&mut self, ctx: &egui::Context, on: bool) {
        self.view.fullscreen = on;
        ctx.send_viewport_cmd(ViewportCommand::Fullscreen(on));
    }

    /// P: the JPEG on screen, as received, to a timestamped file.
    pub fn snapshot(&mut self) {
        let Some(current) = &self.current else {
            self.say("No frame to save yet", true);
            return;
        };
        let at = current.info.captured.unwrap_or_else(SystemTime::now);
        match record::save_snapshot(&self.options.output_dir, &current.jpeg, at) {
            Ok(path) => self.say(format!("Snapshot saved to {}", path.display()), false),
            Err(e) => self.say(
                format!(
                    "Cannot save a snapshot in {}: {e}",
                    self.options.output_dir.display()
                ),
                true,
            ),
        }
    }

    /// R: start or stop writing the stream to a `.mjpg` file.
    pub fn toggle_recording(&mut self) {
        match self.recorder.stop() {
            Some(Ok(s)) => self.say(
                format!(
                    "Recording saved to {} ({} frames, {:.1} s)",
                    s.path.display(),
                    s.frames,
                    s.seconds
                ),
                false,
            ),
            Some(Err(e)) => self.say(format!("Finishing the recording failed: {e}"), true),
            None => match self.recorder.start(&self.options.output_dir) {
                Ok(path) => self.say(format!("Recording to {}", path.display()), false),
                Err(e) => self.say(
                    format!(
                        "Cannot record in {}: {e}",
                        self.options.output_dir.display()
                    ),
                    true,
                ),
            },
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
        self.poll_pipeline(&ctx);
        self.update_title(&ctx);
        if let Some(frame) = self.pending.take() {
            self.show_frame(&ctx, frame);
        }
        self.handle_keys(&ctx);
        if let Some(t) = &self.toast
            && t.shown_at.elapsed() > TOAST_FOR
        {
            self.toast = None;
        }

        if !self.view.fullscreen {
            egui::Panel::top("url-bar")
                .frame(bar_frame())
                .show(ui, |ui| self.url_bar(ui));
            egui::Panel::bottom("status-bar")
                .frame(bar_frame())
                .show(ui, |ui| self.status_bar(ui));
        }
        egui::CentralPanel::no_frame()
            .frame(egui::Frame::new().fill(Color32::from_gray(12)))
            .show(ui, |ui| self.picture(ui));

        // Figures that change without a frame (FPS decaying on a stall, the retry
        // countdown, toast expiry) need an occasional redraw. While frames flow they wake
        // the UI themselves, so this timer only runs when nothing else would.
        let frames_flowing = self.stats.state == ConnState::Streaming
            && self
                .stats
                .last_frame_received
                .is_some_and(|t| t.elapsed() < SLOW_REFRESH);
        let recording = self.recorder.status().is_some();
        if !frames_flowing && (self.view.overlay || self.stats.state != ConnState::Streaming)
            || self.toast.is_some()
            || recording
        {
            ctx.request_repaint_after(SLOW_REFRESH);
        }
    }

    fn url_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let (color, word) = overlay::state_badge(&self.stats.state);
            overlay::dot(ui, color, 6.0);
            ui.label(RichText::new(word).color(color).strong());
            ui.add_space(6.0);
            // Room for the three buttons on the right.
            let buttons_width = 250.0;
            let edit = egui::TextEdit::singleline(&mut self.url_text)
                .hint_text(crate::cli::DEFAULT_URL)
                .desired_width((ui.available_width() - buttons_width).max(120.0));
            let response = ui.add(edit).on_hover_text("Stream URL (Enter to connect)");
            let entered = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            if ui.button("Connect").clicked() || entered {
                self.connect(ui.ctx());
            }
            ui.separator();
            if ui
                .button("Snapshot")
                .on_hover_text("Save the frame on screen as received (P)")
                .clicked()
            {
                self.snapshot();
            }
            let recording = self.recorder.status().is_some();
            let label = if recording {
                "Stop recording"
            } else {
                "Record"
            };
            let button = egui::Button::new(label).selected(recording);
            if ui
                .add(button)
                .on_hover_text("Write the stream to a .mjpg file (R)")
                .clicked()
            {
                self.toggle_recording();
            }
        });
        let wants_credentials = matches!(
            &self.stats.state,
            ConnState::Waiting { failure, .. } if failure.wants_credentials()
        );
        if wants_credentials {
            ui.horizontal(|ui| {
                ui.label(RichText::new("This camera needs a login:").color(overlay::WARN));
                ui.label("User");
                ui.add(egui::TextEdit::singleline(&mut self.user_text).desired_width(120.0));
                ui.label("Password");
                ui.add(
                    egui::TextEdit::singleline(&mut self.password_text)
                        .password(true)
                        .desired_width(120.0),
                );
                if ui.button("Sign in").clicked() {
                    self.connect(ui.ctx());
                }
            });
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(rec) = self.recorder.status() {
                overlay::dot(ui, overlay::BAD, 5.0);
                ui.label(
                    RichText::new(format!(
                        "REC {:02}:{:02}  {} frames",
                        rec.seconds as u64 / 60,
                        rec.seconds as u64 % 60,
                        rec.frames
                    ))
                    .color(overlay::BAD)
                    .strong(),
                );
                ui.separator();
            }
            match &self.toast {
                Some(t) => {
                    let color = if t.is_error {
                        overlay::BAD
                    } else {
                        overlay::GOOD
                    };
                    ui.label(RichText::new(&t.text).color(color));
                }
                None if !self.view.overlay && self.stats.state == ConnState::Streaming => {
                    // The overlay is hidden: the essentials, in one line.
                    let size = self
                        .current
                        .as_ref()
                        .map(|c| format!("{}×{} · ", c.info.size[0], c.info.size[1]))
                        .unwrap_or_default();
                    ui.label(
                        RichText::new(format!(
                            "{size}{:.1} fps · {} kbit/s",
                            self.stats.fps,
                            super::format::grouped(self.stats.kbps)
                        ))
                        .color(overlay::DIM),
                    );
                }
                None => {
                    ui.label(RichText::new(&self.stats.state_text).color(overlay::DIM));
                }
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                ui.label(
                    RichText::new(
                        "S overlay · P snapshot · R record · 1 actual size · F11 full screen",
                    )
                    .color(overlay::DIM)
                    .size(11.0),
                );
            });
        });
    }

    fn picture(&mut self, ui: &mut egui::Ui) {
        let area = ui.max_rect();
        // A frame from a connection that is down is shown dimmed: still useful, clearly old.
        let tint = match self.stats.state {
            ConnState::Waiting { .. } | ConnState::Connecting { .. } => Color32::from_gray(150),
            _ => Color32::WHITE,
        };
        match (&self.texture, &self.current) {
            (Some(texture), Some(current)) => {
                let [w, h] = current.info.size;
                let image = Vec2::new(w as f32, h as f32);
                if self.view.actual_size {
                    // One image pixel per physical pixel.
                    let size = image / ui.ctx().pixels_per_point();
                    egui::ScrollArea::both()
                        .auto_shrink([false, false])
                        .show(ui, |ui| {
                            let avail = ui.available_size();
                            let (rect, _) =
                                ui.allocate_exact_size(size.max(avail), egui::Sense::hover());
                            let at = Rect::from_center_size(rect.center(), size);
                            ui.painter().image(texture.id(), at, full_uv(), tint);
                        });
                } else {
                    let scale = (area.width() / image.x).min(area.height() / image.y);
                    let at = Rect::from_center_size(area.center(), image * scale.max(0.0));
                    ui.painter().image(texture.id(), at, full_uv(), tint);
                }
            }
            _ => self.placeholder(ui, area),
        }

        // Over the picture: the overlay (top-left) and, while offline, a banner.
        let inner = area.shrink(12.0);
        if self.view.overlay {
            let data = OverlayData {
                stats: &self.stats,
                displayed_fps: self.displayed.fps(Instant::now()),
                target_kbps: self.options.target_kbps,
                shown: self.current.as_ref().map(|c| c.info),
                now: Instant::now(),
            };
            ui.scope_builder(
                egui::UiBuilder::new().max_rect(Rect::from_min_size(
                    inner.min,
                    Vec2::new(330.0, inner.height()),
                )),
                |ui| overlay::overlay(ui, &data),
            );
        }
        if self.view.actual_size {
            ui.scope_builder(egui::UiBuilder::new().max_rect(inner), |ui| {
                ui.with_layout(Layout::right_to_left(Align::Min), |ui| {
                    ui.label(
                        RichText::new("1:1")
                            .strong()
                            .color(Color32::WHITE)
                            .background_color(Color32::from_black_alpha(160)),
                    );
                });
            });
        }
        if self.current.is_some()
            && let ConnState::Waiting { .. } = self.stats.state
        {
            let text = self.stats.state.describe(Instant::now());
            ui.scope_builder(egui::UiBuilder::new().max_rect(area), |ui| {
                overlay::banner(ui, &text, overlay::BAD);
            });
        }
    }

    /// Before the first frame: what is happening, big and centred.
    fn placeholder(&self, ui: &mut egui::Ui, area: Rect) {
        let (color, title) = match &self.stats.state {
            ConnState::Waiting { failure, .. } => (overlay::BAD, failure.kind().to_string()),
            ConnState::Streaming => (overlay::GOOD, "decoding…".to_string()),
            _ => (overlay::WARN, "connecting".to_string()),
        };
        // Never show a password on screen.
        let url = net::redacted_text(&self.url_text);
        ui.scope_builder(
            egui::UiBuilder::new()
                .max_rect(area.shrink(40.0))
                .layout(Layout::top_down(Align::Center)),
            |ui| {
                ui.add_space((area.height() * 0.35 - 60.0).max(0.0));
                ui.label(RichText::new(title).size(22.0).color(color).strong());
                ui.label(RichText::new(url).monospace().color(overlay::DIM));
                ui.add_space(8.0);
                ui.label(RichText::new(self.stats.state.describe(Instant::now())).size(15.0));
            },
        );
    }
}

fn full_uv() -> Rect {
    Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0))
}

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
