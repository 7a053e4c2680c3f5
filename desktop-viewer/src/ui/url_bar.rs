//! The URL bar: the Cameras button, the connection's state as a coloured word, the stream
//! URL (Enter connects), and the Connect, Snapshot and Record buttons.

use eframe::egui::{self, Key, RichText};

use super::action::Action;
use super::overlay::{dot, state_badge};
use crate::stats::ConnState;

/// Room kept for the three buttons right of the URL field.
const BUTTONS_WIDTH: f32 = 330.0;

/// Draws the bar; returns what a button, or Enter in the URL field, asked for.
pub fn url_bar_ui(
    ui: &mut egui::Ui,
    url_text: &mut String,
    state: &ConnState,
    recording: bool,
    cameras_shown: bool,
) -> Option<Action> {
    ui.horizontal(|ui| {
        if ui
            .add(egui::Button::new("Cameras").selected(cameras_shown))
            .on_hover_text("The cameras on this network (L)")
            .clicked()
        {
            return Some(Action::ToggleCameras);
        }
        let (color, word) = state_badge(state);
        dot(ui, color, 6.0);
        ui.label(RichText::new(word).color(color).strong());
        ui.add_space(6.0);
        let edit = egui::TextEdit::singleline(url_text)
            .hint_text(crate::cli::DEFAULT_URL)
            .desired_width((ui.available_width() - BUTTONS_WIDTH).max(120.0));
        let response = ui.add(edit).on_hover_text("Stream URL (Enter to connect)");
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let mut asked = None;
        if ui.button("Connect").clicked() || entered {
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
        let label = if recording {
            "Stop recording"
        } else {
            "Record"
        };
        if ui
            .add(egui::Button::new(label).selected(recording))
            .on_hover_text("Write the stream to a .mjpg file (R)")
            .clicked()
        {
            asked = Some(Action::ToggleRecording);
        }
        asked
    })
    .inner
}
