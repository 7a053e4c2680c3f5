//! The URL bar: the Cameras button, the connection's state as a coloured word, the stream
//! URL (Enter connects), and the Connect, Snapshot and Record buttons. In the grid the
//! field adds a camera (Add); with one of several cameras shown alone, Grid goes back.

use eframe::egui::{self, Key, RichText};

use super::action::Action;
use super::overlay::{dot, state_badge};
use crate::stats::ConnState;

/// Room kept for the three buttons right of the URL field.
const BUTTONS_WIDTH: f32 = 330.0;

/// What the bar shows besides the URL.
#[derive(Debug, Clone, Copy)]
pub struct UrlBar<'a> {
    /// The state of the camera shown alone; `None` in the grid.
    pub state: Option<&'a ConnState>,
    /// That camera is being recorded.
    pub recording: bool,
    /// The side panel of cameras is open.
    pub cameras_shown: bool,
    /// The side panel of controls is open.
    pub controls_shown: bool,
    /// The grid is shown: the field adds a camera.
    pub adding: bool,
    /// One of several cameras is shown alone: offer the way back.
    pub back_to_grid: bool,
}

/// Draws the bar; returns what a button, or Enter in the URL field, asked for.
pub fn url_bar_ui(ui: &mut egui::Ui, url_text: &mut String, bar: &UrlBar<'_>) -> Option<Action> {
    ui.horizontal(|ui| {
        if ui
            .add(egui::Button::new("Cameras").selected(bar.cameras_shown))
            .on_hover_text("The cameras on this network (L)")
            .clicked()
        {
            return Some(Action::ToggleCameras);
        }
        if ui
            .add(egui::Button::new("Controls").selected(bar.controls_shown))
            .on_hover_text("The camera's live controls (C)")
            .clicked()
        {
            return Some(Action::ToggleControls);
        }
        if bar.back_to_grid
            && ui
                .button("Grid")
                .on_hover_text("Back to all the cameras (Esc)")
                .clicked()
        {
            return Some(Action::Unfocus);
        }
        if let Some(state) = bar.state {
            let (color, word) = state_badge(state);
            dot(ui, color, 6.0);
            ui.label(RichText::new(word).color(color).strong());
            ui.add_space(6.0);
        }
        let (hint, hover, button) = if bar.adding {
            (
                "Add a camera: its address",
                "Enter adds this camera to the grid",
                "Add",
            )
        } else {
            (
                crate::cli::DEFAULT_URL,
                "Stream URL (Enter to connect)",
                "Connect",
            )
        };
        let edit = egui::TextEdit::singleline(url_text)
            .hint_text(hint)
            .desired_width((ui.available_width() - BUTTONS_WIDTH).max(120.0));
        let response = ui.add(edit).on_hover_text(hover);
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let mut asked = None;
        if ui.button(button).clicked() || entered {
            asked = Some(Action::Connect);
        }
        ui.separator();
        if ui
            .button("Snapshot")
            .on_hover_text("Save the frame on screen as received (P)")
            .clicked()
        {
            asked = Some(Action::Snapshot);
        }
        let label = if bar.recording {
            "Stop recording"
        } else {
            "Record"
        };
        if ui
            .add(egui::Button::new(label).selected(bar.recording))
            .on_hover_text("Write the stream to a .mjpg file (R)")
            .clicked()
        {
            asked = Some(Action::ToggleRecording);
        }
        asked
    })
    .inner
}
