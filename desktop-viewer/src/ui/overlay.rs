//! The figures over the picture: received and displayed FPS, bandwidth now and on average
//! against the target, frame size, resolution, decode time, age, losses, and the chart.

use std::time::{Duration, Instant, SystemTime};

use eframe::egui::{self, Color32, CornerRadius, Frame, Margin, RichText, Stroke, Vec2};

use super::chart;
use super::format::{age, grouped, kilobytes};
use crate::stats::{ConnState, StatsView};

/// Green for "fine", amber for "watch it", red for "broken".
pub const GOOD: Color32 = Color32::from_rgb(80, 220, 120);
/// Over target, reconnecting.
pub const WARN: Color32 = Color32::from_rgb(255, 176, 32);
/// Failures.
pub const BAD: Color32 = Color32::from_rgb(255, 90, 80);
/// Labels.
pub const DIM: Color32 = Color32::from_gray(150);
/// Figures.
pub const VALUE: Color32 = Color32::from_gray(235);

/// The frame on screen, for the overlay's per-frame lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownFrame {
    /// Width, height.
    pub size: [usize; 2],
    /// JPEG bytes.
    pub bytes: usize,
    /// Arrival.
    pub received: Instant,
    /// `X-Timestamp`.
    pub captured: Option<SystemTime>,
    /// Decode time.
    pub decode_time: Duration,
    /// Capture to the UI pass that first painted it (`X-Timestamp`; clocks must agree).
    pub painted_age: Option<Duration>,
}

/// Everything the overlay draws.
#[derive(Debug, Clone)]
pub struct OverlayData<'a> {
    /// The pipeline's figures.
    pub stats: &'a StatsView,
    /// Frames uploaded to the screen in the last second.
    pub displayed_fps: f64,
    /// The bandwidth target.
    pub target_kbps: f64,
    /// The frame on screen.
    pub shown: Option<ShownFrame>,
    /// 99th percentile of capture to first paint, ms.
    pub painted_p99_ms: Option<f64>,
    /// Now, for ages and countdowns.
    pub now: Instant,
}

/// The state as a coloured dot and word.
pub fn state_badge(state: &ConnState) -> (Color32, &'static str) {
    match state {
        ConnState::Streaming => (GOOD, "LIVE"),
        ConnState::Connected | ConnState::Connecting { .. } | ConnState::Idle => {
            (WARN, "CONNECTING")
        }
        ConnState::Waiting { .. } => (BAD, "OFFLINE"),
        ConnState::Stopped => (DIM, "STOPPED"),
    }
}

/// "Age" of the frame on screen, and what it is measured from.
pub fn frame_age(shown: &ShownFrame, now: Instant) -> String {
    match shown.captured {
        Some(captured) => match SystemTime::now().duration_since(captured) {
            Ok(d) => format!("{} since capture (X-Timestamp)", age(d)),
            Err(e) => format!("camera clock {} ahead (X-Timestamp)", age(e.duration())),
        },
        None => format!(
            "{} since arrival (no X-Timestamp)",
            age(now.saturating_duration_since(shown.received))
        ),
    }
}

/// Draws the overlay box at the top-left of `ui`'s area.
pub fn overlay(ui: &mut egui::Ui, data: &OverlayData<'_>) {
    let s = data.stats;
    Frame::new()
        // Opaque: with egui's blending even 2% of a bright picture behind shows through as
        // a mid grey that fights with the figures (seen under Mesa; 250/255 still leaked).
        .fill(Color32::from_rgb(6, 8, 12))
        .stroke(Stroke::new(1.0, Color32::from_white_alpha(28)))
        .corner_radius(CornerRadius::same(8))
        .inner_margin(Margin::symmetric(12, 10))
        .show(ui, |ui| {
            ui.style_mut().override_text_style = Some(egui::TextStyle::Monospace);
            ui.spacing_mut().item_spacing = Vec2::new(10.0, 3.0);
            let (color, word) = state_badge(&s.state);
            ui.horizontal(|ui| {
                dot(ui, color, 5.0);
                ui.label(RichText::new(word).color(color).strong());
            });
            egui::Grid::new("overlay-grid")
                .num_columns(2)
                .spacing([14.0, 3.0])
                .show(ui, |ui| {
                    let row = |ui: &mut egui::Ui, name: &str, value: RichText| {
                        ui.label(RichText::new(name).color(DIM));
                        ui.label(value);
                        ui.end_row();
                    };
                    // Values in white; colour only where it carries meaning.
                    let value = |text: String| RichText::new(text).color(VALUE);
                    row(ui, "received", value(format!("{:.1} fps", s.fps)));
                    row(
                        ui,
                        "displayed",
                        value(format!("{:.1} fps", data.displayed_fps)),
                    );
                    row(
                        ui,
                        "bandwidth",
                        RichText::new(format!("{} kbit/s (1 s)", grouped(s.kbps)))
                            .color(chart::LINE),
                    );
                    row(
                        ui,
                        "average",
                        value(format!("{} kbit/s since connect", grouped(s.average_kbps))),
                    );
                    // Over/under means something only while frames flow.
                    let (mark, color) = if s.state == ConnState::Streaming {
                        target_mark(s.kbps, data.target_kbps)
                    } else {
                        (String::new(), VALUE)
                    };
                    row(
                        ui,
                        "target",
                        RichText::new(format!("{} kbit/s {mark}", grouped(data.target_kbps)))
                            .color(color),
                    );
                    match data.shown {
                        Some(shown) => {
                            row(
                                ui,
                                "frame",
                                value(format!(
                                    "{}  {}×{}",
                                    kilobytes(shown.bytes),
                                    shown.size[0],
                                    shown.size[1]
                                )),
                            );
                            row(
                                ui,
                                "decode",
                                value(format!(
                                    "{:.2} ms (p99 {})",
                                    shown.decode_time.as_secs_f64() * 1000.0,
                                    s.totals
                                        .decode_p99_ms
                                        .map_or_else(|| "-".into(), |p| format!("{p:.2} ms"))
                                )),
                            );
                            row(ui, "age", value(frame_age(&shown, data.now)));
                            if let Some(painted) = shown.painted_age {
                                let p99 = data
                                    .painted_p99_ms
                                    .map_or_else(String::new, |p| format!(" (p99 {p:.1} ms)"));
                                row(
                                    ui,
                                    "painted",
                                    value(format!("{} after capture{p99}", age(painted))),
                                );
                            }
                        }
                        None => row(ui, "frame", RichText::new("none yet").color(DIM)),
                    }
                    let losses = format!(
                        "{} dropped · {} corrupt",
                        s.totals.dropped, s.totals.corrupt
                    );
                    let loss_color = if s.totals.corrupt > 0 { WARN } else { VALUE };
                    row(ui, "lost", RichText::new(losses).color(loss_color));
                    row(
                        ui,
                        "connection",
                        value(format!(
                            "{} · {} reconnects",
                            s.state.label(),
                            s.totals.reconnects
                        )),
                    );
                });
            ui.add_space(4.0);
            ui.label(
                RichText::new("kbit/s, last 60 s  (dashed: target)")
                    .color(DIM)
                    .size(10.0),
            );
            chart::sparkline(
                ui,
                &s.history_kbps,
                data.target_kbps,
                Vec2::new(ui.available_width().max(240.0), 56.0),
            );
        });
}

/// A filled circle: the status light. Painted, because egui's bundled fonts have no
/// U+25CF.
pub fn dot(ui: &mut egui::Ui, color: Color32, radius: f32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(radius * 2.0 + 2.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), radius, color);
}

/// "on target (98%)" within ±10 %, else "over target (150%)" / "under target (50%)", with
/// its colour.
pub fn target_mark(kbps: f64, target: f64) -> (String, Color32) {
    if target <= 0.0 {
        return (String::new(), Color32::WHITE);
    }
    let pct = kbps / target * 100.0;
    if mjpeg_wire::meter::in_band(kbps, target) {
        (format!("on target ({pct:.0}%)"), GOOD)
    } else if kbps > target {
        (format!("over target ({pct:.0}%)"), WARN)
    } else {
        (format!("under target ({pct:.0}%)"), GOOD)
    }
}

/// A banner at the bottom of `ui`'s area while the connection is down: the last frame
/// stays visible above it.
pub fn banner(ui: &mut egui::Ui, text: &str, color: Color32) {
    let area = ui.max_rect().shrink(24.0);
    ui.scope_builder(
        egui::UiBuilder::new()
            .max_rect(area)
            .layout(egui::Layout::bottom_up(egui::Align::Center)),
        |ui| {
            Frame::new()
                .fill(Color32::from_black_alpha(210))
                .stroke(Stroke::new(1.5, color))
                .corner_radius(CornerRadius::same(8))
                .inner_margin(Margin::symmetric(14, 8))
                .show(ui, |ui| {
                    ui.label(RichText::new(text).size(15.0).color(Color32::WHITE));
                });
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_and_under_target() {
        assert!(
            target_mark(1500.0, 1000.0)
                .0
                .starts_with("over target (150%)")
        );
        assert!(
            target_mark(500.0, 1000.0)
                .0
                .starts_with("under target (50%)")
        );
        assert_eq!(target_mark(500.0, 0.0).0, "");
        // Within ±10 %: on target, in the good colour.
        assert_eq!(
            target_mark(1080.0, 1000.0),
            ("on target (108%)".into(), GOOD)
        );
        assert_eq!(target_mark(920.0, 1000.0).0, "on target (92%)");
    }
}
