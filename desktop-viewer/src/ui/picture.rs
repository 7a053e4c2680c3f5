//! The picture: the one video texture, updated in place, drawn fitted to the window or 1:1
//! and dimmed while the connection is down; before the first frame, a placeholder that
//! says what is happening.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use eframe::egui::{
    self, Align, Color32, Layout, Rect, RichText, TextureHandle, TextureOptions, Vec2,
};
use mjpeg_wire::discovery::Advert;
use mjpeg_wire::meter::RateMeter;

use super::action::Action;
use super::cameras::cameras_ui;
use super::overlay::{self, BAD, DIM, GOOD, OverlayData, ShownFrame, WARN};
use crate::net::redacted_text;
use crate::pipeline::Frame;
use crate::stats::{ConnState, Durations, StatsView};

/// How the video texture is sampled: smooth when scaled.
const TEXTURE: TextureOptions = TextureOptions::LINEAR;

/// The frame on screen: its pixels are in the texture; this keeps its JPEG for snapshots
/// and its facts for the overlay.
#[derive(Debug, Clone)]
pub struct Current {
    /// The JPEG as received.
    pub jpeg: Bytes,
    /// Its facts.
    pub info: ShownFrame,
}

/// The video texture, the frame in it, how many frames reached the screen and how old
/// they were when they did.
pub struct Screen {
    texture: Option<TextureHandle>,
    current: Option<Current>,
    displayed: RateMeter,
    /// Capture to first paint, per frame shown.
    painted_ages: Durations,
}

impl Default for Screen {
    fn default() -> Self {
        Screen {
            texture: None,
            current: None,
            displayed: RateMeter::new(Duration::from_secs(1)),
            painted_ages: Durations::default(),
        }
    }
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("current", &self.current.as_ref().map(|c| c.info))
            .finish_non_exhaustive()
    }
}

impl Screen {
    /// Puts a decoded frame on screen: uploads it to the one video texture, in place when
    /// the size is unchanged (`set_partial` keeps the GPU texture; `set` would allocate a
    /// new one each frame).
    ///
    /// Its age at first paint is taken here: this UI pass is the one that paints it, right
    /// after it returns (egui gives no hook after the GL swap; tessellating and drawing the
    /// window take well under a millisecond more at these sizes).
    pub fn show(&mut self, ctx: &egui::Context, frame: Frame) {
        let size = frame.image.size;
        let painted_age = frame
            .captured
            .and_then(|c| SystemTime::now().duration_since(c).ok());
        if let Some(a) = painted_age {
            self.painted_ages.record(a);
        }
        let info = ShownFrame {
            size,
            bytes: frame.jpeg.len(),
            received: frame.received,
            captured: frame.captured,
            decode_time: frame.decode_time,
            painted_age,
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

    /// The frame on screen, if any.
    pub fn current(&self) -> Option<&Current> {
        self.current.as_ref()
    }

    /// The texture the frame is in.
    pub fn texture(&self) -> Option<&TextureHandle> {
        self.texture.as_ref()
    }

    /// 99th percentile of capture to first paint, in ms (`X-Timestamp`; clocks must agree).
    pub fn painted_age_p99_ms(&self) -> Option<f64> {
        self.painted_ages.quantile_ms(0.99)
    }

    /// Frames put on screen in the last second.
    pub fn displayed_fps(&mut self, now: Instant) -> f64 {
        self.displayed.fps(now)
    }

    /// Starts counting displayed frames afresh (a new connection).
    pub fn restart_count(&mut self) {
        self.displayed = RateMeter::new(Duration::from_secs(1));
    }
}

/// What the picture area shows besides the picture.
#[derive(Debug, Clone)]
pub struct PictureView<'a> {
    /// The figures (the state dims the picture and fills the placeholder).
    pub stats: &'a StatsView,
    /// The overlay, when it is shown.
    pub overlay: Option<OverlayData<'a>>,
    /// 1:1 instead of fitted.
    pub actual_size: bool,
    /// The URL in the URL bar, for the placeholder.
    pub url_text: &'a str,
    /// Cameras to offer on the start screen (before the first picture); empty when the
    /// side panel already lists them.
    pub start_cameras: &'a [Advert],
}

/// Draws the picture (or the placeholder) over all of `ui`; over it the overlay
/// (top-left), the 1:1 tag, and, while a frame is kept on screen through an outage, a
/// banner that says why.
///
/// Returns the camera picked from the start screen's list, if any.
pub fn picture_ui(ui: &mut egui::Ui, screen: &Screen, view: &PictureView<'_>) -> Option<Action> {
    let area = ui.max_rect();
    let stats = view.stats;
    let mut picked = None;
    match (&screen.texture, &screen.current) {
        (Some(texture), Some(current)) => {
            video_ui(
                ui,
                area,
                texture,
                current.info.size,
                stats,
                view.actual_size,
            );
        }
        _ => picked = placeholder_ui(ui, area, view),
    }

    let inner = area.shrink(12.0);
    if let Some(data) = &view.overlay {
        ui.scope_builder(
            egui::UiBuilder::new().max_rect(Rect::from_min_size(
                inner.min,
                Vec2::new(330.0, inner.height()),
            )),
            |ui| overlay::overlay(ui, data),
        );
    }
    if view.actual_size {
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
    if screen.current.is_some()
        && let ConnState::Waiting { .. } = stats.state
    {
        let text = stats.state.describe(Instant::now());
        ui.scope_builder(egui::UiBuilder::new().max_rect(area), |ui| {
            overlay::banner(ui, &text, BAD);
        });
    }
    picked
}

/// The frame itself, fitted into `area` or 1:1 in a scroll area.
pub(super) fn video_ui(
    ui: &mut egui::Ui,
    area: Rect,
    texture: &TextureHandle,
    [w, h]: [usize; 2],
    stats: &StatsView,
    actual_size: bool,
) {
    // A frame from a connection that is down is shown dimmed: still useful, clearly old.
    let tint = match stats.state {
        ConnState::Waiting { .. } | ConnState::Connecting { .. } => Color32::from_gray(150),
        _ => Color32::WHITE,
    };
    let image = Vec2::new(w as f32, h as f32);
    if actual_size {
        // One image pixel per physical pixel.
        let size = image / ui.ctx().pixels_per_point();
        egui::ScrollArea::both()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let avail = ui.available_size();
                let (rect, _) = ui.allocate_exact_size(size.max(avail), egui::Sense::hover());
                let at = Rect::from_center_size(rect.center(), size);
                ui.painter().image(texture.id(), at, full_uv(), tint);
            });
    } else {
        let scale = (area.width() / image.x).min(area.height() / image.y);
        let at = Rect::from_center_size(area.center(), image * scale.max(0.0));
        ui.painter().image(texture.id(), at, full_uv(), tint);
    }
}

/// Before the first frame: what is happening, big and centred, under the URL (never with
/// its password).
fn placeholder_ui(ui: &mut egui::Ui, area: Rect, view: &PictureView<'_>) -> Option<Action> {
    let stats = view.stats;
    let (color, title) = match &stats.state {
        ConnState::Waiting { failure, .. } => (BAD, failure.kind().to_string()),
        ConnState::Streaming => (GOOD, "decoding…".to_string()),
        _ => (WARN, "connecting".to_string()),
    };
    ui.scope_builder(
        egui::UiBuilder::new()
            .max_rect(area.shrink(40.0))
            .layout(Layout::top_down(Align::Center)),
        |ui| {
            ui.add_space((area.height() * 0.35 - 60.0).max(0.0));
            ui.label(RichText::new(title).size(22.0).color(color).strong());
            ui.label(
                RichText::new(redacted_text(view.url_text))
                    .monospace()
                    .color(DIM),
            );
            ui.add_space(8.0);
            ui.label(RichText::new(stats.state.describe(Instant::now())).size(15.0));
            if view.start_cameras.is_empty() {
                return None;
            }
            ui.add_space(24.0);
            ui.label(RichText::new("Cameras on this network").size(16.0).strong());
            ui.add_space(6.0);
            cameras_ui(ui, view.start_cameras, None)
        },
    )
    .inner
}

/// The whole texture.
fn full_uv() -> Rect {
    Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0))
}
