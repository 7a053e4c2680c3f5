//! The keys: S overlay, P snapshot, R record, 1 actual size, F11 full screen (Esc leaves
//! it), L the cameras on the network. They are read here and carried out as [`Action`]s, like the buttons.

use eframe::egui::{self, Key};

use super::action::Action;

/// The keys as the status bar lists them.
pub const HELP: &str =
    "S overlay · P snapshot · R record · 1 actual size · F11 full screen · L cameras";

/// What the keys pressed in this UI frame ask for. Nothing while a text field has the
/// keyboard: typing an `s` into the URL must not hide the overlay.
pub fn keys_ui(ctx: &egui::Context, fullscreen: bool) -> Vec<Action> {
    if ctx.text_edit_focused() {
        return Vec::new();
    }
    ctx.input(|i| actions_for(|key| i.key_pressed(key), fullscreen))
}

/// The key map, apart from egui's input so that it can be read (and tested) as a table.
fn actions_for(pressed: impl Fn(Key) -> bool, fullscreen: bool) -> Vec<Action> {
    let map = [
        (Key::S, Action::ToggleOverlay),
        (Key::Num1, Action::ToggleActualSize),
        (Key::F11, Action::SetFullscreen(!fullscreen)),
        (Key::P, Action::Snapshot),
        (Key::R, Action::ToggleRecording),
        (Key::L, Action::ToggleCameras),
    ];
    let mut actions: Vec<Action> = map
        .into_iter()
        .filter(|(key, _)| pressed(*key))
        .map(|(_, action)| action)
        .collect();
    // Esc means "get me out" only where there is something to get out of.
    if fullscreen && pressed(Key::Escape) && !pressed(Key::F11) {
        actions.push(Action::SetFullscreen(false));
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(key: Key, fullscreen: bool) -> Vec<Action> {
        actions_for(|k| k == key, fullscreen)
    }

    #[test]
    fn each_key_asks_for_one_thing() {
        assert_eq!(press(Key::S, false), [Action::ToggleOverlay]);
        assert_eq!(press(Key::P, false), [Action::Snapshot]);
        assert_eq!(press(Key::R, false), [Action::ToggleRecording]);
        assert_eq!(press(Key::Num1, false), [Action::ToggleActualSize]);
        assert_eq!(press(Key::L, false), [Action::ToggleCameras]);
        assert_eq!(press(Key::F11, false), [Action::SetFullscreen(true)]);
        assert_eq!(press(Key::F11, true), [Action::SetFullscreen(false)]);
        assert_eq!(press(Key::A, false), []);
    }

    #[test]
    fn escape_only_leaves_full_screen() {
        assert_eq!(press(Key::Escape, true), [Action::SetFullscreen(false)]);
        assert_eq!(press(Key::Escape, false), []);
    }
}
