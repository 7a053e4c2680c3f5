//! The status bar: a recording in progress, the latest message (or, with the overlay
//! hidden, the essential figures), and the keys.

use eframe::egui::{self, Align, Layout, RichText};

use super::format::grouped;
use super::keys;
use super::overlay::{BAD, DIM, GOOD, dot};
use super::toast::Toast;
use crate::record::RecordingStatus;
use crate::stats::{ConnState, StatsView};

/// What the status bar shows.
#[derive(Debug, Clone, Copy)]
pub struct StatusBar<'a> {
    /// The recording in progress, if any.
    pub recording: Option<&'a RecordingStatus>,
    /// The latest message, if still shown.
    pub toast: Option<&'a Toast>,
    /// The figures of the camera shown alone (`None` in the grid, where each tile has its
    /// own).
    pub stats: Option<&'a StatsView>,
    /// Whether the overlay is shown (if not, the bar carries the essentials).
    pub overlay: bool,
    /// Width and height of the frame on screen.
    pub frame_size: Option<[usize; 2]>,
    /// With several cameras: all of them at a glance.
    pub several: Option<&'a Several>,
}

/// Several cameras, summed up.
#[derive(Debug, Clone, PartialEq)]
pub struct Several {
    /// Cameras watched.
    pub cameras: usize,
    /// Of which streaming.
    pub live: usize,
    /// kbit/s of all of them: what the link carries.
    pub kbps: f64,
    /// The grid's layout in words.
    pub layout: String,
}

/// Draws the bar.
pub fn status_bar_ui(ui: &mut egui::Ui, bar: &StatusBar<'_>) {
    ui.horizontal(|ui| {
        if let Some(rec) = bar.recording {
            dot(ui, BAD, 5.0);
            ui.label(
                RichText::new(format!(
                    "REC {:02}:{:02}  {} frames",
                    rec.seconds as u64 / 60,
                    rec.seconds as u64 % 60,
                    rec.frames
                ))
                .color(BAD)
                .strong(),
            );
            ui.separator();
        }
        if let Some(several) = bar.several {
            let color = if several.live == several.cameras {
                GOOD
            } else {
                BAD
            };
            dot(ui, color, 5.0);
            ui.label(
                RichText::new(format!(
                    "{} of {} cameras live · {} kbit/s in all · layout {}",
                    several.live,
                    several.cameras,
                    grouped(several.kbps),
                    several.layout
                ))
                .strong(),
            );
            ui.separator();
        }
        match (bar.toast, bar.stats) {
            (Some(t), _) => {
                let color = if t.is_error { BAD } else { GOOD };
                ui.label(RichText::new(&t.text).color(color));
            }
            (None, None) => {}
            (None, Some(stats)) if !bar.overlay && stats.state == ConnState::Streaming => {
                // The overlay is hidden: the essentials, in one line.
                let size = bar
                    .frame_size
                    .map(|[w, h]| format!("{w}×{h} · "))
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "{size}{:.1} fps · {} kbit/s",
                        stats.fps,
                        grouped(stats.kbps)
                    ))
                    .color(DIM),
                );
            }
            (None, Some(stats)) => {
                ui.label(RichText::new(&stats.state_text).color(DIM));
            }
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let help = if bar.several.is_some() {
                keys::HELP_GRID
            } else {
                keys::HELP
            };
            ui.label(RichText::new(help).color(DIM).size(11.0));
        });
    });
}
