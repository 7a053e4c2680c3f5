//! The side panel of the camera's live controls (C): a slider, switch, menu or button for
//! each control the server lists, in its groups (the stream's, then the camera's own), each
//! showing the value the server read back, with a reset to the default beside it. The
//! overlay shows the effect (kbit/s, size) as soon as the server applies it.

use std::collections::HashMap;

use eframe::egui::{self, RichText};
use mjpeg_wire::controls::{Control, Group, Kind};
use serde_json::Value;

use super::action::Action;
use super::overlay::{BAD, DIM, WARN};
use crate::controls::{ControlsView, Status};

/// What the panel keeps between frames: values being dragged, not yet the server's.
#[derive(Debug, Default)]
pub struct ControlsPanel {
    drafts: HashMap<String, Value>,
    answers_seen: u64,
}

/// Draws the panel for `view`; returns the change asked for, as [`Action::SetControl`]
/// (`Value::Null`: back to the default).
pub fn controls_ui(
    ui: &mut egui::Ui,
    view: Option<&ControlsView>,
    panel: &mut ControlsPanel,
) -> Option<Action> {
    ui.heading("Controls");
    ui.add_space(4.0);
    let Some(view) = view else {
        ui.label(RichText::new("Pick a camera first: click it, or press its number.").color(DIM));
        return None;
    };
    if view.answers != panel.answers_seen {
        // The server answered: what it read back replaces what was dragged.
        panel.answers_seen = view.answers;
        panel.drafts.clear();
    }
    if let Some(api) = &view.api {
        ui.label(RichText::new(api.as_str()).small().color(DIM));
    }
    match &view.status {
        Status::Idle | Status::Loading => {
            ui.label(RichText::new("reading the camera's controls…").color(WARN));
        }
        Status::Sending => {
            ui.label(RichText::new("changing…").color(WARN));
        }
        Status::Ready => {}
        Status::Failed(why) => {
            ui.add(egui::Label::new(RichText::new(why).color(BAD)).wrap());
        }
    }
    let mut asked = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        for (group, title) in [(Group::Stream, "Stream"), (Group::Camera, "Camera")] {
            let mut controls = view.controls.iter().filter(|c| c.group == group).peekable();
            if controls.peek().is_none() {
                continue;
            }
            ui.add_space(8.0);
            ui.label(RichText::new(title).strong());
            for control in controls {
                if let Some(a) = control_ui(ui, control, panel) {
                    asked = Some(a);
                }
            }
        }
    });
    asked
}

/// One control's row: its label, its widget, and a reset while it is off its default.
fn control_ui(ui: &mut egui::Ui, control: &Control, panel: &mut ControlsPanel) -> Option<Action> {
    let set = |value: Value| Some(Action::SetControl(control.name.clone(), value));
    let mut asked = None;
    let shown = panel
        .drafts
        .get(&control.name)
        .unwrap_or(&control.value)
        .clone();
    ui.horizontal(|ui| {
        // A switch or a button carries its own label; a slider or a menu has it beside.
        match &control.kind {
            Kind::Boolean => {
                let mut on = shown.as_bool().unwrap_or(false);
                if ui.checkbox(&mut on, &control.label).changed() {
                    asked = set(Value::from(on));
                }
            }
            Kind::Button => {
                if ui.button(&control.label).clicked() {
                    asked = set(Value::Bool(true));
                }
            }
            _ => {
                ui.label(&control.label);
            }
        }
        if control.kind != Kind::Button
            && control.value != control.default
            && ui
                .small_button("reset")
                .on_hover_text(format!("Back to {}", control.default))
                .clicked()
        {
            asked = set(Value::Null);
        }
    });
    match &control.kind {
        Kind::Integer { min, max, step } => {
            let mut v = shown.as_i64().unwrap_or(*min);
            let slider = egui::Slider::new(&mut v, *min..=*max)
                .step_by((*step).max(1) as f64)
                // A range like 50..100000 kbit/s needs fine steps at the low end.
                .logarithmic(*min > 0 && *max / (*min).max(1) >= 1000);
            let response = ui.add(slider);
            if response.changed() {
                panel.drafts.insert(control.name.clone(), Value::from(v));
            }
            // Sent when let go (or typed, or stepped with the keys), not on every pixel.
            if response.drag_stopped() || (response.changed() && !response.dragged()) {
                asked = set(Value::from(v));
            }
        }
        Kind::Menu { options } => {
            let current = options
                .iter()
                .find(|o| o.value == shown)
                .map_or_else(|| shown.to_string(), |o| o.label.clone());
            egui::ComboBox::from_id_salt(("control", &control.name))
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for option in options {
                        if ui
                            .selectable_label(option.value == shown, &option.label)
                            .clicked()
                        {
                            asked = set(option.value.clone());
                        }
                    }
                });
        }
        Kind::Boolean | Kind::Button => {}
    }
    ui.add_space(2.0);
    asked
}
